"""Guided runbooks in storage: start a run, answer its steps, confirm its actions, run a
step's command. Every change is a timeline event written with the incident locked, so two
responders answering at once get one answer and one 409."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.channels._http import redact
from firebell.clock import Clock
from firebell.comms import context as ctx
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.incidents import lifecycle
from firebell.incidents.base import OnIncidents
from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.incidents.service import IncidentService, record
from firebell.playbook.schema import Playbook, StepAction, Workflow
from firebell.store.models import Incident, TimelineEvent
from firebell.workflows import runbook
from firebell.workflows.runbook import Run, StepRefused, StepView

OUTPUT_LIMIT = 4000  # characters of a command's output kept on the timeline


@dataclass(frozen=True)
class RunView:
    run: Run
    workflow: Workflow
    step: StepView | None  # None once finished
    pending_actions: tuple[int, ...]  # indexes of the current step's unconfirmed actions


@dataclass(frozen=True)
class ActionPorts:
    """What a confirmed action calls: the services that own each kind of change."""

    open_war_room: Callable[[Session, Incident, str, datetime], bool]
    page: Callable[[Session, Incident, list[str], str, str, datetime], int]
    notify: Callable[[int, str, str, Principal], object]
    add_task: Callable[[int, str, str, Principal], object]
    resolve_targets: Callable[[Session, str, str, datetime], list[str]]


class Runbooks(OnIncidents):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        incidents: IncidentService,
        ports: ActionPorts,
        allowed_programs: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(sessions, clock, playbook, incidents)
        self.ports = ports
        self.allowed = allowed_programs

    # --- reads --------------------------------------------------------------------------

    def workflows_for(self, severity: str) -> list[Workflow]:
        """The playbook's workflows, those meant for this severity first."""
        flows = self.playbook.workflows
        return sorted(flows, key=lambda w: bool(w.severity) and severity not in w.severity)

    def runs(self, number: int, actor: Principal) -> list[RunView]:
        with self.sessions() as session:
            incident = self.incidents.get_in(session, number, actor)
            return [self._view(incident, run) for run in self._runs(session, incident.id)]

    def views_of(self, incident: Incident, events: Iterable[runbook.Event]) -> list[RunView]:
        """The runs folded from timeline events the caller has already read, after its own
        visibility check (the incident page: no second query for the same events)."""
        return [self._view(incident, run) for run in runbook.runs(events)]

    # --- writes -------------------------------------------------------------------------

    def start(self, number: int, workflow_id: str, actor: Principal) -> RunView:
        return self.incidents.write_locked(
            number, actor, lambda s, i, now: self.start_in(s, i, workflow_id, actor.name, now)
        )

    def start_in(
        self, session: Session, incident: Incident, workflow_id: str, actor: str, now: datetime
    ) -> RunView:
        """Start a run inside the caller's transaction (incident locked)."""
        workflow = self._workflow(workflow_id)
        self._require_open(incident)
        number = len(self._runs(session, incident.id)) + 1
        details = {
            "run": number,
            "workflow": workflow.id,
            "name": workflow.name,
            "step": workflow.start,
            "text": runbook.step_of(workflow, workflow.start).text,
        }
        record(session, incident.id, now, actor, runbook.STARTED, details)
        return self._view(incident, Run(number, workflow.id, now, actor, workflow.start))

    def answer(
        self, number: int, run_number: int, step: str, answer: str | None, actor: Principal
    ) -> RunView:
        def work(session: Session, incident: Incident, now: datetime) -> RunView:
            self._require_open(incident)
            run, workflow = self._run(session, incident.id, run_number)
            try:
                moved = runbook.advance(workflow, run, step, answer)
            except StepRefused as exc:
                if exc.conflict:
                    raise Conflict(exc.reason) from None
                raise Invalid.field(exc.field, exc.reason) from None
            following = moved.next.id if moved.next else None
            details = {
                "run": run.number,
                "workflow": workflow.id,
                "step": moved.step.id,
                "text": moved.step.text,
                "answer": moved.answer,
                "next": following,
            }
            record(session, incident.id, now, actor.name, runbook.STEP, details)
            if following is None:
                record(
                    session,
                    incident.id,
                    now,
                    actor.name,
                    runbook.FINISHED,
                    {"run": run.number, "workflow": workflow.id, "step": moved.step.id},
                )
            run, _ = self._run(session, incident.id, run.number)
            return self._view(incident, run)

        return self.incidents.write_locked(number, actor, work)

    def act(self, number: int, run_number: int, step: str, index: int, actor: Principal) -> str:
        """Carry out one action of the run's current step, once, after a responder's
        confirmation. Returns what was done, as the timeline says it."""
        with self.sessions() as session:
            incident = self.incidents.get_in(session, number, actor)
            run, workflow = self._run(session, incident.id, run_number)
        action = self._action(workflow, run, step, index)
        label = f"runbook {workflow.id} step {step}"
        done = self._perform(number, action, label, actor)

        def note(session: Session, incident: Incident, now: datetime) -> None:
            record(
                session,
                incident.id,
                now,
                actor.name,
                "runbook_action",
                {"run": run.number, "step": step, "index": index, "ok": True, "did": done},
            )

        self.incidents.write_locked(number, actor, note)
        return done

    def run_command(
        self, number: int, run_number: int, step: str, actor: Principal
    ) -> dict[str, Any]:
        """Run the current step's command: only a program on the allow-list, no shell, with
        the step's time limit; exit code and (truncated, redacted) output on the timeline."""
        with self.sessions() as session:
            incident = self.incidents.get_in(session, number, actor)
            run, workflow = self._run(session, incident.id, run_number)
            if run.current != step:
                raise Conflict(f"run {run.number} is at step '{run.current}', not '{step}'")
            spec = runbook.step_of(workflow, step)
            view = runbook.view(spec, self._values(workflow, incident))
        if spec.run is None or view.runnable is None:
            raise Invalid.field("step", f"step '{step}' has no command firebell may run")
        argv = list(view.runnable)
        program = shutil.which(argv[0])
        if not self.allowed:
            raise Forbidden("running runbook commands is off (set FIREBELL_RUNBOOK_ALLOW)")
        if argv[0] not in self.allowed and (program is None or program not in self.allowed):
            raise Forbidden(f"'{argv[0]}' is not on the runbook allow-list")
        result = _execute(argv, spec.run.timeout.approx().total_seconds())
        secrets = _secrets()
        result["output"] = redact(result["output"], secrets)
        argv = [redact(part, secrets) for part in argv]

        def note(session: Session, incident: Incident, now: datetime) -> None:
            record(
                session,
                incident.id,
                now,
                actor.name,
                "runbook_command",
                {"run": run.number, "step": step, "argv": argv, **result},
            )

        self.incidents.write_locked(number, actor, note)
        return {"argv": argv, **result}

    # --- helpers ------------------------------------------------------------------------

    def _perform(self, number: int, action: StepAction, label: str, actor: Principal) -> str:
        if action.notify is not None:
            self.ports.notify(number, action.notify.template, action.notify.audience, actor)
            return runbook.describe(action)
        if action.task is not None:
            assignee = action.task.assignee or actor.name
            self.ports.add_task(number, assignee, action.task.text, actor)
            return runbook.describe(action)

        def work(session: Session, incident: Incident, now: datetime) -> str:
            self._require_open(incident)
            if action.raise_severity is not None:
                wanted = action.raise_severity
                order = lifecycle.SEVERITY_ORDER
                if order.index(wanted) >= order.index(incident.severity):
                    return f"severity already {incident.severity}: not lowered to {wanted}"
                self.incidents.apply_in(
                    session,
                    incident,
                    lambda s, _now: lifecycle.change_severity(s, wanted, f"rule: {label}"),
                    actor.name,
                    now,
                )
                return runbook.describe(action)
            if action.open_war_room:
                asked = self.ports.open_war_room(session, incident, label, now)
                return runbook.describe(action) if asked else "the war room was already open"
            assert action.page is not None
            people = self.ports.resolve_targets(session, action.page.type, action.page.id, now)
            if not people:
                raise Conflict(f"nobody to page for {action.page.type} {action.page.id} now")
            sent = self.ports.page(session, incident, people, label, actor.name, now)
            return f"paged {', '.join(people)} ({sent} deliveries)"

        done: str = self.incidents.write_locked(number, actor, work)
        return done

    def _action(self, workflow: Workflow, run: Run, step: str, index: int) -> StepAction:
        if run.current != step:
            raise Conflict(f"run {run.number} is at step '{run.current}', not '{step}'")
        actions = runbook.step_of(workflow, step).actions
        if not 0 <= index < len(actions):
            raise Invalid.field("index", f"step '{step}' has {len(actions)} action(s)")
        if (step, index) in run.done_actions:
            raise Conflict(f"action {index} of step '{step}' was already done in this run")
        return actions[index]

    def _workflow(self, workflow_id: str) -> Workflow:
        found = next((w for w in self.playbook.workflows if w.id == workflow_id), None)
        if found is None:
            known = ", ".join(w.id for w in self.playbook.workflows) or "none"
            raise Invalid.field("workflow", f"unknown workflow '{workflow_id}'; known: {known}")
        return found

    def _events_with(self, session: Session, incident_id: int) -> list[runbook.Event]:
        session.flush()
        rows = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind.in_(runbook.KINDS))
            .order_by(TimelineEvent.id)
        )
        return [runbook.Event(r.kind, r.at, r.actor, r.details) for r in rows]

    def _runs(self, session: Session, incident_id: int) -> list[Run]:
        return runbook.runs(self._events_with(session, incident_id))

    def _run(self, session: Session, incident_id: int, number: int) -> tuple[Run, Workflow]:
        found = next((r for r in self._runs(session, incident_id) if r.number == number), None)
        if found is None:
            raise NotFound(f"incident #{incident_id} has no runbook run {number}")
        return found, self._workflow(found.workflow)

    def _values(self, workflow: Workflow, incident: Incident) -> dict[str, Any]:
        context = ctx.build(self.playbook, incident, self.clock.now(), None)
        return runbook.values_for(workflow, context, incident.facts or {})

    def _view(self, incident: Incident, run: Run) -> RunView:
        workflow = self._workflow(run.workflow)
        if run.current is None:
            return RunView(run, workflow, None, ())
        step = runbook.step_of(workflow, run.current)
        pending = tuple(i for i in range(len(step.actions)) if (step.id, i) not in run.done_actions)
        return RunView(run, workflow, runbook.view(step, self._values(workflow, incident)), pending)

    @staticmethod
    def _require_open(incident: Incident) -> None:
        if incident.status not in OPEN_STATUSES:
            raise Conflict(f"incident #{incident.id} is {incident.status}")


def _execute(argv: list[str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            shell=False,
            stdin=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        )
        code: int | None = done.returncode
        output = (done.stdout or "") + (done.stderr or "")
        timed_out = False
    except subprocess.TimeoutExpired as exc:
        code, timed_out = None, True
        output = _text(exc.stdout) + _text(exc.stderr)
    except OSError as exc:
        code, timed_out, output = None, False, f"could not start: {exc.strerror or exc}"
    truncated = len(output) > OUTPUT_LIMIT
    return {
        "exit_code": code,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - started, 3),
        "output": output[:OUTPUT_LIMIT],
        "truncated": truncated,
    }


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _secrets() -> list[str]:
    """Values of the server's own secret settings, never shown in command output."""
    names = ("SECRET", "TOKEN", "PASSWORD", "KEY")
    return [v for k, v in os.environ.items() if any(n in k for n in names) and len(v) >= 6]
