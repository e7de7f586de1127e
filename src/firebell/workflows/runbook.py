"""Guided runbooks: a playbook workflow walked step by step during an incident (pure).

A run lives on the incident's timeline and nowhere else: ``runbook_started`` opens run
``n`` (the incident's n-th), each ``runbook_step`` records the answer given at a step and
the step it led to, ``runbook_finished`` closes it. :func:`runs` folds those events back
into :class:`Run` values, so the post-mortem shows what was checked and when, and there is
no second copy of the state to drift. :func:`advance` decides what an answer does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from firebell.comms.render import TemplateProblem, render
from firebell.playbook.schema import StepAction, Workflow, WorkflowStep

STARTED, STEP, FINISHED = "runbook_started", "runbook_step", "runbook_finished"
KINDS = (STARTED, STEP, FINISHED, "runbook_action", "runbook_command")


class StepRefused(ValueError):
    """An answer that does not fit the run: ``field`` names what to change."""

    def __init__(self, field: str, reason: str, conflict: bool = False) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.conflict = conflict  # the run moved on (someone else answered): 409, not 422


@dataclass(frozen=True)
class Answer:
    step: str
    answer: str | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class Run:
    number: int
    workflow: str
    started_at: datetime
    started_by: str
    current: str | None  # None once finished
    answers: tuple[Answer, ...] = ()
    done_actions: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    @property
    def finished(self) -> bool:
        return self.current is None


@dataclass(frozen=True)
class Event:
    """The part of a timeline event a fold needs."""

    kind: str
    at: datetime
    actor: str
    details: Mapping[str, Any]


def runs(events: Iterable[Event]) -> list[Run]:
    """Every run of an incident, folded from its timeline events in order."""
    found: dict[int, Run] = {}
    for event in events:
        number = event.details.get("run")
        if event.kind == STARTED and isinstance(number, int):
            found[number] = Run(
                number, event.details["workflow"], event.at, event.actor, event.details["step"]
            )
            continue
        run = found.get(number) if isinstance(number, int) else None
        if run is None or not isinstance(number, int):
            continue
        if event.kind == STEP:
            answer = Answer(
                event.details["step"], event.details.get("answer"), event.at, event.actor
            )
            found[number] = _replace(
                run, current=event.details.get("next"), answers=(*run.answers, answer)
            )
        elif event.kind == FINISHED:
            found[number] = _replace(run, current=None)
        elif event.kind == "runbook_action" and event.details.get("ok"):
            done = run.done_actions | {(event.details["step"], event.details["index"])}
            found[number] = _replace(run, done_actions=done)
    return [found[n] for n in sorted(found)]


def _replace(run: Run, **changes: Any) -> Run:
    return replace(run, **changes)


def step_of(workflow: Workflow, step_id: str) -> WorkflowStep:
    return next(s for s in workflow.steps if s.id == step_id)


@dataclass(frozen=True)
class Advance:
    """What an answer does: the step answered, where the run goes (None: finished)."""

    step: WorkflowStep
    answer: str | None
    next: WorkflowStep | None


def advance(workflow: Workflow, run: Run, step_id: str, answer: str | None) -> Advance:
    """Check an answer against the run and the workflow, and say where it leads."""
    if run.finished:
        raise StepRefused("run", f"run {run.number} ({workflow.name}) is finished", True)
    if step_id != run.current:
        raise StepRefused(
            "step", f"run {run.number} is at step '{run.current}', not '{step_id}'", True
        )
    step = step_of(workflow, step_id)
    if step.branches:
        if answer not in step.branches:
            choices = ", ".join(f"'{a}'" for a in step.branches)
            raise StepRefused("answer", f"step '{step.id}' asks: {step.text}; answer {choices}")
        return Advance(step, answer, step_of(workflow, step.branches[answer]))
    if step.terminal or step.next is None:
        return Advance(step, answer, None)
    return Advance(step, answer, step_of(workflow, step.next))


@dataclass(frozen=True)
class StepView:
    """A step as a responder sees it: text, commands with the incident's values filled
    in, the answers it takes, and the actions it offers."""

    id: str
    text: str
    choices: tuple[str, ...]
    terminal: bool
    commands: tuple[str, ...]
    actions: tuple[str, ...]
    runnable: tuple[str, ...] | None  # the command firebell can run here, if any
    problems: tuple[str, ...] = ()  # values a command needs that are unknown


def view(step: WorkflowStep, values: Mapping[str, Any]) -> StepView:
    commands: list[str] = []
    problems: list[str] = []
    for index, command in enumerate(step.commands):
        try:
            commands.append(render(f"{step.id}.commands[{index}]", command, values))
        except TemplateProblem as exc:
            commands.append(command)
            problems.append(exc.reason)
    runnable = None
    if step.run is not None:
        try:
            runnable = tuple(
                render(f"{step.id}.run.argv[{i}]", part, values)
                for i, part in enumerate(step.run.argv)
            )
        except TemplateProblem as exc:
            problems.append(exc.reason)
    return StepView(
        step.id,
        step.text,
        tuple(step.branches),
        step.terminal or (step.next is None and not step.branches),
        tuple(commands),
        tuple(describe(a) for a in step.actions),
        runnable,
        tuple(problems),
    )


def describe(action: StepAction) -> str:
    if action.raise_severity:
        return f"raise severity to {action.raise_severity}"
    if action.open_war_room:
        return "open the war room"
    if action.page is not None:
        return f"page {action.page.type} {action.page.id}"
    if action.notify is not None:
        return f"send the '{action.notify.template}' message to {action.notify.audience}"
    assert action.task is not None
    who = f" for {action.task.assignee}" if action.task.assignee else ""
    return f"create a task{who}: {action.task.text}"


def values_for(
    workflow: Workflow, context: Mapping[str, Any], facts: Mapping[str, Any]
) -> dict[str, Any]:
    """What a step's commands may use: the message context (``incident.*``, ``org.*``), the
    workflow's own values, and the incident's facts, which win."""
    return {**context, **workflow.values, **facts}
