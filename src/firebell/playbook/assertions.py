"""Tests for the playbook itself: the file format of ``firebell playbook test``.

A tests file is YAML: ``tests:`` is a list of cases, each with a ``name``, exactly one
*given* (``escalation``, ``classify``, ``template`` or ``handoff``) and an ``expect``::

    tests:
      - name: a P0 on the API pages primary and secondary at once
        escalation: {severity: P0, service: api, at: "2026-12-25T02:00", timezone: Europe/London}
        expect:
          pages:
            - {after: 0m, level: 1, people: [primary-engineer-2]}
            - {after: 0m, level: 2, people: [secondary-engineer-1]}
            - {after: 15m, level: 3, people: [team-lead-1]}

Unknown keys are refused and every problem names the file, the line and the field, as the
playbook's own validation does. The checks themselves are in :mod:`firebell.playbook.prove`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from firebell.playbook.durations import Span
from firebell.playbook.loader import validate_document
from firebell.playbook.schema import Identifier, Strict, TimeZoneName

SeverityId = Literal["P0", "P1", "P2", "P3"]
KINDS = ("escalation", "classify", "template", "handoff")


class EscalationGiven(Strict):
    """An incident declared at ``at`` (local time in ``timezone``) that nobody acknowledges."""

    severity: SeverityId
    service: Identifier | None = None
    private: bool = False
    at: datetime
    timezone: TimeZoneName = "UTC"
    within: Span | None = Field(default=None, description="Only pages sent before this.")


class ClassifyGiven(Strict):
    """A payload as the integration's sender posts it, or (Alertmanager and Grafana
    integrations) just the labels and annotations of one firing alert."""

    integration: Identifier
    payload: Any = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] = {}

    @model_validator(mode="after")
    def _one_source(self) -> ClassifyGiven:
        if (self.payload is None) == (self.labels is None):
            raise ValueError("give either 'payload' or 'labels'")
        return self


class TemplateGiven(Strict):
    """A template variant rendered for an imaginary incident."""

    family: Identifier
    variant: Identifier
    severity: SeverityId = "P1"
    title: str = "Example incident"
    service: Identifier | None = None
    commander: str | None = None
    private: bool = False
    resolved: bool = False
    at: datetime = datetime(2026, 1, 1, 12, 0)
    facts: dict[str, Any] = {}


class HandoffGiven(Strict):
    """The hand-offs of one schedule during one local day."""

    schedule: Identifier
    on: date
    timezone: TimeZoneName = "UTC"


class ExpectedPage(Strict):
    after: Span
    level: int | str = Field(description="1-based level number, or the level's name")
    people: list[str]
    methods: list[str] | None = Field(
        default=None, description="'person/method' pairs, e.g. primary-engineer-1/sms"
    )


class ExpectedHandoff(Strict):
    at: time
    outgoing: str | None = None
    incoming: str | None = None


class Expect(Strict):
    """What must hold. Only the fields that fit the case's kind may be used."""

    # escalation
    pages: list[ExpectedPage] | None = None
    policy: str | None = None
    # classify (every alert of the payload)
    severity: SeverityId | None = None
    service: str | None = None
    branch: str | None = Field(default=None, description="Text the decision's reason contains.")
    # template
    contains: list[str] = []
    not_contains: list[str] = []
    error: str | None = Field(default=None, description="Rendering fails with this text.")
    # handoff
    handoffs: list[ExpectedHandoff] | None = None


_EXPECT_FIELDS: dict[str, set[str]] = {
    "escalation": {"pages", "policy"},
    "classify": {"severity", "service", "branch"},
    "template": {"contains", "not_contains", "error"},
    "handoff": {"handoffs"},
}


class Case(Strict):
    name: str = Field(min_length=1)
    escalation: EscalationGiven | None = None
    classify: ClassifyGiven | None = None
    template: TemplateGiven | None = None
    handoff: HandoffGiven | None = None
    expect: Expect

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @model_validator(mode="after")
    def _one_kind(self) -> Case:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a test needs exactly one of {', '.join(KINDS)}; it has {given}")
        used = self.expect.model_fields_set
        wrong = sorted(used - _EXPECT_FIELDS[given[0]])
        if wrong:
            raise ValueError(
                f"expect.{wrong[0]} does not apply to a {given[0]} test "
                f"(it may use: {', '.join(sorted(_EXPECT_FIELDS[given[0]]))})"
            )
        if not used:
            raise ValueError("expect is empty: a test must check something")
        return self


class TestsFile(Strict):
    tests: list[Case] = Field(min_length=1)


DEFAULT_TESTS = Path(__file__).with_name("default_tests.yaml")


def load_tests(path: Path | None = None) -> TestsFile:
    """Read and validate a tests file (default: the one shipped with the default playbook).
    Raises :class:`firebell.playbook.loader.PlaybookError` with every problem."""
    target = path or DEFAULT_TESTS
    tests, _ = validate_document(
        target.read_text(encoding="utf-8"), str(target), TestsFile, "a tests file"
    )
    return tests
