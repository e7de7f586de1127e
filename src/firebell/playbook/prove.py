"""Run a playbook's tests (see :mod:`firebell.playbook.assertions`): pure, no server.

Each case becomes a :class:`Result` whose ``differences`` say, line by line, what was
expected and what the playbook does instead; :func:`junit_xml` writes the results for CI.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from firebell.comms.render import TemplateProblem
from firebell.intake.errors import IntakeError
from firebell.playbook import simulation
from firebell.playbook.assertions import (
    Case,
    ClassifyGiven,
    EscalationGiven,
    Expect,
    HandoffGiven,
    TemplateGiven,
    TestsFile,
)
from firebell.playbook.durations import Span
from firebell.playbook.schema import Playbook


@dataclass(frozen=True)
class Result:
    name: str
    kind: str
    differences: tuple[str, ...]
    seconds: float
    error: str | None = None  # the case could not run (unknown id, bad payload...)

    @property
    def passed(self) -> bool:
        return not self.differences and self.error is None


def run_tests(playbook: Playbook, tests: TestsFile) -> list[Result]:
    return [run_case(playbook, case) for case in tests.tests]


def run_case(playbook: Playbook, case: Case) -> Result:
    started = clock.perf_counter()
    check = _CHECKS[case.kind]
    try:
        differences = tuple(check(playbook, getattr(case, case.kind), case.expect))
        error = None
    except (ValueError, KeyError, IntakeError) as exc:
        differences, error = (), f"{type(exc).__name__}: {exc}"
    return Result(case.name, case.kind, differences, clock.perf_counter() - started, error)


# --- escalation --------------------------------------------------------------------------


def _check_escalation(playbook: Playbook, given: EscalationGiven, expect: Expect) -> list[str]:
    at = _local(given.at, given.timezone)
    if given.service is not None and playbook.service(given.service) is None:
        raise ValueError(f"unknown service '{given.service}'")
    run = simulation.escalation_run(
        playbook, severity=given.severity, service=given.service, at=at, private=given.private
    )
    problems: list[str] = []
    if expect.policy is not None and expect.policy != run.policy:
        problems.append(f"policy: expected {expect.policy}, got {run.policy}")
    if expect.pages is None:
        return problems
    limit = given.within.approx() if given.within else None
    pages = [p for p in run.pages if limit is None or p.after < limit]
    want_methods = any(p.methods is not None for p in expect.pages)
    actual = [
        _page_line(p.after, p.level, p.people, p.methods if want_methods else None) for p in pages
    ]
    names = {p.level_name: p.level for p in run.pages}
    expected = [
        _page_line(
            e.after.approx(),
            _level_number(e.level, names, playbook, run.policy),
            tuple(e.people),
            tuple(e.methods) if e.methods is not None else None,
        )
        for e in expect.pages
    ]
    if actual != expected:
        problems.append("pages differ:")
        problems += _diff_lines(expected, actual)
    return problems


def _level_number(level: int | str, seen: dict[str, int], playbook: Playbook, policy: str) -> int:
    if isinstance(level, int):
        return level
    spec = next(p for p in playbook.escalation_policies if p.id == policy)
    for index, lv in enumerate(spec.levels, start=1):
        if lv.name == level:
            return index
    return seen.get(level, 0)


def _page_line(
    after: timedelta, level: int, people: tuple[str, ...], methods: tuple[str, ...] | None
) -> str:
    line = f"+{_span(after)} level {level}: {', '.join(sorted(people)) or 'nobody'}"
    if methods is not None:
        line += f" via {', '.join(methods)}"
    return line


def _span(delta: timedelta) -> str:
    return str(Span(delta=delta)) if delta else "0m"


# --- classification ------------------------------------------------------------------------


def _check_classify(playbook: Playbook, given: ClassifyGiven, expect: Expect) -> list[str]:
    payload = given.payload if given.labels is None else _alert_payload(playbook, given)
    verdicts = simulation.classify_payload(playbook, given.integration, payload)
    if not verdicts:
        return ["the payload holds no alert"]
    problems: list[str] = []
    for index, verdict in enumerate(verdicts):
        where = f"alert {index + 1} ({verdict.summary})" if len(verdicts) > 1 else "alert"
        if expect.severity is not None and verdict.severity != expect.severity:
            problems.append(
                f"{where}: severity expected {expect.severity}, got {verdict.severity} "
                f"({verdict.reason})"
            )
        if expect.service is not None and verdict.service != expect.service:
            problems.append(f"{where}: service expected {expect.service}, got {verdict.service}")
        if expect.branch is not None and expect.branch not in verdict.reason:
            problems.append(
                f"{where}: expected the reason to mention {expect.branch!r}, got {verdict.reason!r}"
            )
    return problems


def _alert_payload(playbook: Playbook, given: ClassifyGiven) -> dict[str, Any]:
    """One firing alert in Alertmanager's webhook shape (Grafana's is the same)."""
    fmt = simulation.integration(playbook, given.integration).spec.format
    if fmt not in ("alertmanager", "grafana"):
        raise ValueError(
            f"'labels' fits Alertmanager and Grafana integrations; {fmt} needs a payload"
        )
    labels = dict(given.labels or {})
    labels.setdefault("alertname", "SimulatedAlert")
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": dict(given.annotations),
        "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": "0000000000000001",
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{labels["alertname"]}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": dict(given.annotations),
        "externalURL": "",
        "alerts": [alert],
    }


# --- templates ------------------------------------------------------------------------------


def _check_template(playbook: Playbook, given: TemplateGiven, expect: Expect) -> list[str]:
    at = given.at if given.at.tzinfo else given.at.replace(tzinfo=ZoneInfo("UTC"))
    try:
        parts = simulation.render_variant(
            playbook,
            given.family,
            given.variant,
            severity=given.severity,
            title=given.title,
            at=at,
            facts=given.facts,
            commander=given.commander,
            service=given.service,
            private=given.private,
            resolved=given.resolved,
        )
    except TemplateProblem as exc:
        if expect.error is not None and expect.error in exc.reason:
            return []
        return [f"rendering failed: {exc.reason}"]
    if expect.error is not None:
        return [f"expected rendering to fail with {expect.error!r}, but it rendered"]
    text = "\n".join(parts.values())
    problems = [f"expected the message to contain {s!r}" for s in expect.contains if s not in text]
    problems += [
        f"expected the message not to contain {s!r}" for s in expect.not_contains if s in text
    ]
    if problems:
        problems.append("the message was:")
        problems += [f"  {line}" for line in text.splitlines()]
    return problems


# --- hand-offs ------------------------------------------------------------------------------


def _check_handoff(playbook: Playbook, given: HandoffGiven, expect: Expect) -> list[str]:
    zone = ZoneInfo(given.timezone)
    found = simulation.handoffs_on(playbook, given.schedule, given.on, given.timezone)
    actual = [
        f"{h.at.astimezone(zone):%H:%M} {h.outgoing or 'nobody'} -> {h.incoming or 'nobody'}"
        for h in found
    ]
    wanted = expect.handoffs or []
    expected = []
    for index, e in enumerate(wanted):
        real = found[index] if index < len(found) else None
        outgoing = e.outgoing if e.outgoing is not None else (real.outgoing if real else None)
        incoming = e.incoming if e.incoming is not None else (real.incoming if real else None)
        expected.append(f"{e.at:%H:%M} {outgoing or 'nobody'} -> {incoming or 'nobody'}")
    if actual == expected:
        return []
    return [f"hand-offs on {given.on} ({given.timezone}) differ:", *_diff_lines(expected, actual)]


# --- shared ------------------------------------------------------------------------------


def _local(at: datetime, zone_name: str) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone_name))


def _diff_lines(expected: list[str], actual: list[str]) -> list[str]:
    lines = [f"  - {line}" for line in expected if line not in actual]
    lines += [f"  + {line}" for line in actual if line not in expected]
    if not lines:  # same lines, another order
        lines = [f"  expected: {line}" for line in expected] + [
            f"  actual:   {line}" for line in actual
        ]
    return lines


_CHECKS: dict[str, Callable[[Playbook, Any, Expect], list[str]]] = {
    "escalation": _check_escalation,
    "classify": _check_classify,
    "template": _check_template,
    "handoff": _check_handoff,
}


def junit_xml(results: list[Result], suite: str = "playbook") -> bytes:
    """JUnit XML, as CI systems read test results."""
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(sum(1 for r in results if r.differences)),
        errors=str(sum(1 for r in results if r.error)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            root,
            "testcase",
            classname=f"{suite}.{result.kind}",
            name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if result.error is not None:
            ET.SubElement(case, "error", message=result.error).text = result.error
        elif result.differences:
            text = "\n".join(result.differences)
            ET.SubElement(case, "failure", message=result.differences[0]).text = text
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml
