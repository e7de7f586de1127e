"""The incident page's command parts, prepared for its templates (no storage of their
own): the playbook's roles with who holds each, the decisions, and the runbook panel.

`context` is called for the page and for every live update, so a second responder's
answer to a runbook step or a new decision shows up without reloading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.command.decisions import Decision, decisions
from firebell.incidents.detail import EventRow, IncidentDetail
from firebell.playbook.schema import Workflow
from firebell.runtime import Runtime
from firebell.workflows import runbook
from firebell.workflows.service import RunView


@dataclass(frozen=True)
class RoleRow:
    id: str
    name: str
    holders: tuple[str, ...]
    required: bool  # the playbook requires it at this incident's severity
    missing: bool
    many: bool  # SMEs: several people at once


@dataclass(frozen=True)
class CommandResult:
    """The last time firebell ran a step's command in a run (from the timeline)."""

    step: str
    argv: tuple[str, ...]
    exit_code: int | None
    timed_out: bool
    output: str
    truncated: bool


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    step: str  # the step's words, as the playbook says them
    answer: str | None


@dataclass(frozen=True)
class RunPanel:
    view: RunView
    last_command: CommandResult | None
    dom: str  # a stable id prefix for this run's fields
    history: tuple[HistoryRow, ...]

    @property
    def active(self) -> bool:
        return not self.view.run.finished


@dataclass(frozen=True)
class RunbookPanel:
    workflows: tuple[Workflow, ...]
    runs: tuple[RunPanel, ...]
    severity: str

    @property
    def key(self) -> str:
        """Changes whenever any run moves: the live update replaces the panel then."""
        return ";".join(
            f"{r.view.run.number}:{r.view.run.current}:{len(r.view.run.answers)}:"
            f"{len(r.view.run.done_actions)}:{r.last_command is not None}"
            for r in self.runs
        )


def role_rows(runtime: Runtime, detail: IncidentDetail) -> list[RoleRow]:
    incident = detail.incident
    held = dict(detail.roles)
    if incident.commander and "ic" not in held:
        held["ic"] = [incident.commander]
    return [
        RoleRow(
            r.id,
            r.name,
            tuple(held.get(r.id, ())),
            incident.severity in r.required_for,
            r.id in detail.missing_roles,
            r.id == "sme",
        )
        for r in runtime.playbook.playbook.war_room.roles
    ]


def last_commands(events: Sequence[EventRow]) -> dict[int, CommandResult]:
    found: dict[int, CommandResult] = {}
    for e in events:
        if e.kind != "runbook_command" or not isinstance(e.details.get("run"), int):
            continue
        d = e.details
        found[d["run"]] = CommandResult(
            str(d.get("step", "")),
            tuple(str(a) for a in d.get("argv") or ()),
            d.get("exit_code"),
            bool(d.get("timed_out")),
            str(d.get("output") or ""),
            bool(d.get("truncated")),
        )
    return found


def history(view: RunView) -> tuple[HistoryRow, ...]:
    words = {s.id: s.text for s in view.workflow.steps}
    return tuple(
        HistoryRow(a.at, a.actor, words.get(a.step, a.step), a.answer) for a in view.run.answers
    )


def runbook_panel(runtime: Runtime, detail: IncidentDetail) -> RunbookPanel:
    incident = detail.incident
    # `detail` was read after the API's visibility check; its events hold the runs.
    events = (
        runbook.Event(e.kind, e.at, e.actor, e.details)
        for e in detail.timeline
        if e.kind in runbook.KINDS
    )
    views = runtime.runbooks.views_of(incident, events)
    commands = last_commands(detail.timeline)
    panels = tuple(
        RunPanel(v, commands.get(v.run.number), f"rb{v.run.number}", history(v))
        for v in sorted(views, key=lambda v: (v.run.finished, -v.run.number))
    )
    return RunbookPanel(
        tuple(runtime.runbooks.workflows_for(incident.severity)), panels, incident.severity
    )


def context(runtime: Runtime, detail: IncidentDetail) -> dict[str, Any]:
    found: list[Decision] = decisions(detail.timeline)
    return {
        "role_rows": role_rows(runtime, detail),
        "decisions": list(reversed(found)),
        "runbook": runbook_panel(runtime, detail),
        "role_names": {r.id: r.name for r in runtime.playbook.playbook.war_room.roles},
    }
