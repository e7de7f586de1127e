"""The playbook's `status_page` section: components, groups, rules and maintenance.

Kept apart from `playbook/schema.py` (which only holds the field): these models import
nothing of the root playbook, so the root can import them without a cycle.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from firebell.playbook.durations import Span

ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
Impact = Literal["none", "minor", "major", "critical"]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComponentGroup(_Section):
    id: Key
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None


class Component(_Section):
    """What the public sees as one line of the page. An open public incident on one of
    `services` sets its status from the incident's impact (see `impact_status`)."""

    id: Key
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    group: Key | None = None
    services: list[Key] = []
    only_show_if_degraded: bool = False
    showcase: bool = True


class MaintenancePolicy(_Section):
    """The seed's template 4: an advance notice 7 days and a reminder 24 hours before,
    to subscribers and to `internal_audience`."""

    template: Key = "maintenance"
    advance_notice: Span = Span.parse("7d")
    reminder: Span = Span.parse("24h")
    internal_audience: Key | None = None
    verify: bool = Field(
        default=False,
        description="At the end a window goes to 'verifying' until someone completes it.",
    )


def _default_impact_status() -> dict[Impact, ComponentStatus]:
    return {
        "critical": "major_outage",
        "major": "partial_outage",
        "minor": "degraded_performance",
        "none": "operational",
    }


class StatusPage(_Section):
    enabled: bool = True
    title: str | None = Field(default=None, description="Default: the organisation's name.")
    host: str | None = Field(
        default=None,
        description="Serve the page at '/' when requests arrive for this host name "
        "(e.g. status.example.com).",
    )
    public_url: str | None = Field(default=None, description="Links in e-mails and feeds.")
    groups: list[ComponentGroup] = []
    components: list[Component] = []
    impact_status: dict[Impact, ComponentStatus] = Field(default_factory=_default_impact_status)
    history_days: int = Field(default=14, ge=1, le=90)
    uptime_days: int = Field(default=90, ge=7, le=365)
    maintenance: MaintenancePolicy = MaintenancePolicy()

    @model_validator(mode="after")
    def _consistent(self) -> StatusPage:
        groups = [g.id for g in self.groups]
        ids = [c.id for c in self.components]
        for kind, seen in (("group", groups), ("component", ids)):
            twice = sorted({i for i in seen if seen.count(i) > 1})
            if twice:
                raise ValueError(f"status page {kind} ids defined twice: {', '.join(twice)}")
        if set(groups) & set(ids):
            raise ValueError("a status page group and a component share an id")
        for component in self.components:
            if component.group is not None and component.group not in groups:
                raise ValueError(f"component {component.id}: unknown group '{component.group}'")
        return self


def reference_problems(page: StatusPage, services: set[str], audiences: set[str]) -> list[str]:
    """Ids the section mentions that the rest of the playbook does not define."""
    problems = [
        f"status_page component {c.id}: unknown service '{s}'"
        for c in page.components
        for s in c.services
        if s not in services
    ]
    audience = page.maintenance.internal_audience
    if audience is not None and audience not in audiences:
        problems.append(f"status_page.maintenance.internal_audience: unknown audience '{audience}'")
    return problems
