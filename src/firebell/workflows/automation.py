"""Automation rules in the running system: an incident hook and a timer handler.

Rules run inside the transaction of the change that set them off (or of the timer that
delayed them), so a rule's page, message or task is committed with its cause or not at
all. Each action runs in a savepoint: one that fails (a template missing a value, an
unknown person) is rolled back alone and recorded as ``rule_action_failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.principal import Principal
from firebell.command.roles import IncidentCommand
from firebell.command.war_room import WarRooms
from firebell.comms.service import Comms
from firebell.errors import DomainError
from firebell.incidents import lifecycle
from firebell.incidents.lifecycle import OPEN_STATUSES, Change
from firebell.incidents.service import IncidentService, record
from firebell.paging.service import Pager
from firebell.playbook.schema import Playbook, Rule, RuleAction
from firebell.store.models import Incident, TimelineEvent, Timer
from firebell.store.outbox import enqueue
from firebell.workflows import rules
from firebell.workflows.service import Runbooks

KIND = "rule"
FIRED = "rule_fired"
_FIRED_NOW = "firebell.rules_fired"  # session.info: (incident, rule) fired in this transaction


@dataclass
class Automation:
    playbook: Callable[[], Playbook]
    incidents: IncidentService
    pager: Pager
    comms: Comms
    command: IncidentCommand
    war_rooms: WarRooms
    runbooks: Runbooks

    # --- the hook and the timer ------------------------------------------------------

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        rule_set = self.playbook().rules
        if not rule_set:
            return
        if change.kind == "declared":
            self._schedule_elapsed(session, incident, rule_set, now)
        trigger = rules.trigger_of(change.kind)
        if trigger is None:
            return
        labels = change.details.get("labels") if trigger == "alert_attached" else None
        subject = _subject(incident, labels if isinstance(labels, dict) else {})
        candidates = rules.set_off(rule_set, trigger, subject, now, ())
        fired = self._fired(session, incident) if candidates else set()
        for rule in (r for r in candidates if not (r.once and r.id in fired)):
            if rule.delay is not None:
                self._timer(session, incident, rule, trigger, rule.delay.after(now), now)
            else:
                self._fire(session, incident, rule, trigger, now)

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        """A delayed or time-triggered rule is due: act if it still applies."""
        assert timer.incident_id is not None
        incident = session.get(Incident, timer.incident_id, with_for_update=True)
        rule = next((r for r in self.playbook().rules if r.id == timer.payload.get("rule")), None)
        if incident is None or rule is None or incident.status not in OPEN_STATUSES:
            return
        if rule.once and rule.id in self._fired(session, incident):
            return
        if not rules.holds(rule, _subject(incident, {}), now):
            return
        self._fire(session, incident, rule, str(timer.payload.get("trigger")), now)

    # --- acting -----------------------------------------------------------------------

    def _fire(
        self, session: Session, incident: Incident, rule: Rule, trigger: str, now: datetime
    ) -> None:
        session.info.setdefault(_FIRED_NOW, set()).add((incident.id, rule.id))
        actor = Principal(f"rule:{rule.id}", "admin")
        record(
            session,
            incident.id,
            now,
            actor.name,
            FIRED,
            {"rule": rule.id, "trigger": trigger, "description": rule.description},
        )
        for index, action in enumerate(rule.actions):
            try:
                with session.begin_nested():
                    self._act(session, incident, rule, action, actor, now)
            except DomainError as exc:
                record(
                    session,
                    incident.id,
                    now,
                    actor.name,
                    "rule_action_failed",
                    {"rule": rule.id, "index": index, "reason": exc.detail},
                )

    def _act(
        self,
        session: Session,
        incident: Incident,
        rule: Rule,
        action: RuleAction,
        actor: Principal,
        now: datetime,
    ) -> None:
        label = f"rule {rule.id}"
        if action.raise_severity is not None:
            wanted = action.raise_severity
            order = lifecycle.SEVERITY_ORDER
            if order.index(wanted) < order.index(incident.severity):
                self.incidents.apply_in(
                    session,
                    incident,
                    lambda s, _now: lifecycle.change_severity(s, wanted, f"rule: {label}"),
                    actor.name,
                    now,
                )
        elif action.open_war_room:
            self.war_rooms.request(session, incident, f"rule:{rule.id}", now)
        elif action.page is not None:
            people = self.pager.resolve(session, action.page.type, action.page.id, now)
            self.pager.page_people(session, incident, people, label, actor.name, now)
        elif action.notify is not None:
            self.comms.notify_in(
                session, incident, action.notify.template, action.notify.audience, {}, actor, now
            )
        elif action.task is not None:
            assignee = action.task.assignee or incident.commander or "incident-commander"
            self.command.add_task_in(session, incident, assignee, action.task.text, actor, now)
        elif action.assign_role is not None:
            grant = action.assign_role
            self.command.assign_role_in(session, incident, grant.role, grant.person, actor, now)
        elif action.start_runbook is not None:
            self.runbooks.start_in(session, incident, action.start_runbook, actor.name, now)
        elif action.webhook is not None:
            self._webhook(session, incident, rule, action.webhook, now)

    def _webhook(
        self, session: Session, incident: Incident, rule: Rule, url: str, now: datetime
    ) -> None:
        """A signed webhook (firebell's own signature, as every webhook it sends), through
        the outbox: JSON with the incident's id, title and severity, the rule and the text."""
        enqueue(
            session,
            purpose="rule",
            method="webhook",
            address=url,
            subject=f"rule {rule.id}: #{incident.id} {incident.title}",
            body=f"Rule {rule.id} fired for incident #{incident.id}: {incident.title}",
            dedupe_key=f"rule:{incident.id}:{rule.id}:{now.timestamp():.0f}",
            now=now,
            incident=incident,
            payload={"rule": rule.id, "status": incident.status, "service": incident.service},
        )

    # --- bookkeeping ---------------------------------------------------------------------

    def _fired(self, session: Session, incident: Incident) -> set[str]:
        done = {r for i, r in session.info.get(_FIRED_NOW, set()) if i == incident.id}
        rows = session.scalars(
            select(TimelineEvent.details).where(
                TimelineEvent.incident_id == incident.id, TimelineEvent.kind == FIRED
            )
        )
        return done | {str(d.get("rule")) for d in rows}

    def _schedule_elapsed(
        self, session: Session, incident: Incident, rule_set: list[Rule], now: datetime
    ) -> None:
        for rule in rule_set:
            if "elapsed" in rule.when and rule.after is not None:
                due = rule.after.after(incident.declared_at)
                self._timer(session, incident, rule, "elapsed", max(due, now), now)

    @staticmethod
    def _timer(
        session: Session,
        incident: Incident,
        rule: Rule,
        trigger: str,
        due: datetime,
        now: datetime,
    ) -> None:
        session.add(
            Timer(
                kind=KIND,
                due_at=due,
                status="pending",
                incident_id=incident.id,
                generation=0,
                payload={"rule": rule.id, "trigger": trigger},
                created_at=now,
            )
        )


def _subject(incident: Incident, labels: dict[str, Any]) -> rules.Subject:
    return rules.Subject(
        incident.severity,
        incident.service,
        incident.private,
        incident.drill,
        incident.declared_at,
        {str(k): str(v) for k, v in labels.items()},
    )
