"""A drill's report (pure): the score against the playbook's targets with the timings,
checkpoints and runbook steps behind it, and the same as one self-contained HTML page.

The page is a Jinja2 template with autoescape on (everything a responder typed is text,
never markup) and its stylesheet inline: it opens from a file or an e-mail with nothing
loaded from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from firebell.postmortems.export import CSS
from firebell.workflows import runbook
from firebell.workflows.drills import DrillScore, words

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)

# Timeline kinds worth a line in "Timings", with how the report names them.
MILESTONES = {
    "declared": "declared",
    "acknowledged": "acknowledged",
    "commander_assigned": "commander assigned",
    "war_room_requested": "war room requested",
    "war_room_opened": "war room opened",
    "update_sent": "first update sent",
    "mitigated": "mitigated",
    "resolved": "resolved",
}


@dataclass(frozen=True)
class Milestone:
    name: str
    at: datetime
    after: str  # time since the drill was declared, in words
    actor: str


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    after: str
    text: str


@dataclass(frozen=True)
class StepTaken:
    run: int
    workflow: str
    step: str
    answer: str | None
    at: datetime
    after: str
    actor: str


@dataclass(frozen=True)
class RunSummary:
    number: int
    workflow: str
    steps: int
    finished: bool


@dataclass(frozen=True)
class DrillReport:
    score: DrillScore
    title: str
    scenario_name: str
    status: str
    ended_at: datetime | None
    milestones: tuple[Milestone, ...]
    checkpoints: tuple[Checkpoint, ...]
    steps: tuple[StepTaken, ...]
    runs: tuple[RunSummary, ...]

    @property
    def passed(self) -> bool:
        """Every target that applies was met (a drill with nothing scored has not passed)."""
        return self.score.scored > 0 and self.score.met == self.score.scored

    @property
    def verdict(self) -> str:
        return "passed" if self.passed else "failed"


def build(
    score: DrillScore,
    *,
    title: str,
    scenario_name: str,
    status: str,
    ended_at: datetime | None,
    events: Iterable[runbook.Event],
) -> DrillReport:
    """The report of a drill from its score and its timeline (in order)."""
    items = list(events)
    start = score.declared_at

    def since(at: datetime) -> str:
        return words(max(at - start, timedelta(0)))

    milestones: list[Milestone] = []
    seen: set[str] = set()
    for e in items:
        name = MILESTONES.get(e.kind)
        if name is not None and e.kind not in seen:  # the first of each
            seen.add(e.kind)
            milestones.append(Milestone(name, e.at, since(e.at), e.actor))
    checkpoints = tuple(
        Checkpoint(e.at, since(e.at), str(e.details.get("text", "")))
        for e in items
        if e.kind == "checkpoint"
    )
    folded = runbook.runs(items)
    names = {r.number: r.workflow for r in folded}
    steps = tuple(
        StepTaken(
            int(e.details.get("run", 0)),
            names.get(int(e.details.get("run", 0)), "?"),
            str(e.details.get("step", "")),
            e.details.get("answer"),
            e.at,
            since(e.at),
            e.actor,
        )
        for e in items
        if e.kind == runbook.STEP
    )
    runs = tuple(RunSummary(r.number, r.workflow, len(r.answers), r.finished) for r in folded)
    return DrillReport(
        score, title, scenario_name, status, ended_at, tuple(milestones), checkpoints, steps, runs
    )


REPORT_CSS = """
.verdict { font-size: 1.2rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
"""


def render_html(report: DrillReport, generated: datetime) -> str:
    """One standalone page: nothing loaded from outside, autoescaped."""
    template = _templates.get_template("drill_report.html")
    return template.render(
        r=report, css=Markup(CSS + REPORT_CSS), generated=generated, title=page_title(report)
    )


def page_title(report: DrillReport) -> str:
    return f"Drill report: {report.scenario_name} (incident #{report.score.incident})"
