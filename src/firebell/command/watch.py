"""What incident command watches over time: SLA clocks, escalation criteria, war-room
activation, management reminders and missing roles. Hooks set durable timers in the
incident's transaction; handlers check the incident's state when they fire, so a timer
that is no longer relevant does nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.command import rules
from firebell.command.roles import IncidentCommand
from firebell.command.war_room import WarRooms
from firebell.comms import context as ctx
from firebell.comms.render import TemplateProblem, render
from firebell.incidents import lifecycle
from firebell.incidents.lifecycle import OPEN_STATUSES, Change
from firebell.incidents.service import IncidentService, record
from firebell.paging.service import Pager
from firebell.playbook.schema import EscalationCriterion, Playbook
from firebell.store.models import Escalation, Incident, Timer, WarRoom
from firebell.store.outbox import tell

ACTOR = "firebell"
KIND = "command"


class Watcher:
    def __init__(
        self,
        playbook: Playbook,
        incidents: IncidentService,
        command: IncidentCommand,
        war_rooms: WarRooms,
        pager: Pager,
    ) -> None:
        self.playbook = playbook
        self.incidents = incidents
        self.command = command
        self.war_rooms = war_rooms
        self.pager = pager

    # --- timers ----------------------------------------------------------------------------

    @staticmethod
    def _timer(
        session: Session,
        incident: Incident,
        what: str,
        due: datetime,
        now: datetime,
        **payload: Any,
    ) -> None:
        session.add(
            Timer(
                kind=KIND,
                due_at=due,
                status="pending",
                incident_id=incident.id,
                generation=0,
                payload={"what": what, "severity": incident.severity, **payload},
                created_at=now,
            )
        )

    def _arm_for_severity(self, session: Session, incident: Incident, now: datetime) -> None:
        """Timers whose deadlines depend on the severity, measured from declaration."""
        start = incident.declared_at
        for clock in rules.sla_clocks(self.playbook, incident.severity, start):
            self._timer(session, incident, "sla", max(clock.due, now), now, clock=clock.clock)
        for criterion in rules.duration_criteria(self.playbook, incident.severity):
            assert criterion.after is not None
            self._timer(
                session,
                incident,
                "criterion",
                max(criterion.after.after(start), now),
                now,
                rule=criterion.id,
            )
        for rule_id, after in rules.war_room_deadlines(self.playbook, incident.severity):
            self._timer(session, incident, "war_room", max(start + after, now), now, rule=rule_id)
        reminder = self.playbook.war_room.checkpoints.management_reminder.get(incident.severity)  # type: ignore[call-overload]
        if reminder is not None:
            self._timer(session, incident, "management", max(reminder.after(start), now), now)
        if any(incident.severity in r.required_for for r in self.playbook.war_room.roles):
            interval = self.playbook.war_room.checkpoints.interval
            self._timer(session, incident, "roles", interval.after(now), now)

    # --- hooks -------------------------------------------------------------------------------

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        if incident.status not in OPEN_STATUSES:
            return
        if change.kind == "declared":
            self._arm_for_severity(session, incident, now)
            self._check_war_room(session, incident, now)
            self._check_related(session, incident, now)
            self._check_facts(session, incident, now)
        elif change.kind == "severity_changed":
            self._arm_for_severity(session, incident, now)
            self._check_war_room(session, incident, now)
            self._check_related(session, incident, now)
        elif change.kind == "facts_updated":
            self._check_facts(session, incident, now)
        elif change.kind == "role_assigned":
            self._check_war_room(session, incident, now)

    def _check_war_room(self, session: Session, incident: Incident, now: datetime) -> None:
        people = [p for ps in self.command.holders(session, incident.id).values() for p in ps]
        if incident.commander:
            people.append(incident.commander)
        rule = rules.war_room_rule(
            self.playbook,
            incident.severity,
            incident.private,
            now - incident.declared_at,
            rules.involvement(self.playbook, people),
        )
        if rule is not None:
            self.war_rooms.request(session, incident, rule, now)

    def _check_facts(self, session: Session, incident: Incident, now: datetime) -> None:
        open_for = now - (incident.impact_started_at or incident.declared_at)
        facts = incident.facts or {}
        for criterion in rules.fact_criteria(self.playbook, incident.severity, facts, open_for):
            self._apply(session, incident, criterion, now)
            if incident.severity == "P0":
                break
        for criterion, wait in rules.fact_criteria_later(
            self.playbook, incident.severity, facts, open_for
        ):
            self._timer(session, incident, "criterion", now + wait, now, rule=criterion.id)

    def _check_related(self, session: Session, incident: Incident, now: datetime) -> None:
        for criterion in rules.related_criteria(self.playbook, incident.severity):
            assert criterion.window is not None
            since = now - criterion.window.approx()
            candidates = session.scalars(
                select(Incident).where(
                    Incident.id != incident.id,
                    Incident.status.in_(OPEN_STATUSES),
                    Incident.severity.in_(criterion.applies_to or [incident.severity]),
                    Incident.declared_at >= since,
                    Incident.drill.is_(False),
                )
            ).all()
            related = rules.related_incidents(incident, candidates)
            if len(related) + 1 < criterion.count:
                continue
            ids = sorted(i.id for i in related)
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "incidents_linked",
                {"rule": criterion.id, "related": ids},
            )
            for other in related:
                record(
                    session,
                    other.id,
                    now,
                    ACTOR,
                    "incidents_linked",
                    {"rule": criterion.id, "related": [incident.id]},
                )
            self._apply(session, incident, criterion, now, related=ids)

    # --- acting on a criterion -------------------------------------------------------------

    def _apply(
        self,
        session: Session,
        incident: Incident,
        criterion: EscalationCriterion,
        now: datetime,
        **details: Any,
    ) -> None:
        reason = f"rule {criterion.id}: {criterion.description}"
        if criterion.to == "management":
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "management_escalation",
                {"rule": criterion.id, "reason": criterion.description, **details},
            )
            self._tell(
                session,
                incident,
                f"Escalate to management: {criterion.description} "
                f"(incident #{incident.id}, {incident.severity}).",
                f"mgmt:{incident.id}:{criterion.id}",
                now,
                management=True,
            )
            return
        if not rules.more_severe(criterion.to, incident.severity):
            return
        if criterion.action == "perform":
            target = criterion.to
            self.incidents.apply_in(
                session,
                incident,
                lambda s, _t: lifecycle.change_severity(s, target, reason),
                f"{ACTOR} (rule {criterion.id})",
                now,
            )
        else:
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "escalation_proposed",
                {
                    "rule": criterion.id,
                    "to": criterion.to,
                    "reason": criterion.description,
                    **details,
                },
            )
            self._tell(
                session,
                incident,
                f"Consider escalating incident #{incident.id} to "
                f"{criterion.to}: {criterion.description}.",
                f"propose:{incident.id}:{criterion.id}",
                now,
            )

    def _tell(
        self,
        session: Session,
        incident: Incident,
        text: str,
        key: str,
        now: datetime,
        management: bool = False,
    ) -> None:
        """Tell the IC (and the war room), or management, by the contacts we have."""
        row = session.get(WarRoom, incident.id)
        self.war_rooms.post(session, incident, row, text, f"{key}:room", now)
        people: list[str] = []
        if management:
            people = [
                t.id
                for lv in self._policy_levels(incident)[3:4]
                for t in lv.targets
                if t.type == "person"
            ]
        elif incident.commander:
            people = [incident.commander]
        by_id = {p.id: p for p in self.playbook.people}
        for person_id in people:
            person = by_id.get(person_id)
            if person is None:
                continue
            tell(
                session,
                person,
                purpose="reminder",
                subject=f"[firebell] #{incident.id}: action needed",
                body=text,
                key=key,
                now=now,
                incident=incident,
            )

    def _policy_levels(self, incident: Incident) -> list[Any]:
        policy_id = self.pager.policy_for(incident).id
        return list(next(p for p in self.playbook.escalation_policies if p.id == policy_id).levels)

    # --- the timer handler ---------------------------------------------------------------

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        incident = session.scalars(
            select(Incident).where(Incident.id == timer.incident_id).with_for_update()
        ).first()
        if incident is None or incident.status not in OPEN_STATUSES:
            return
        what = timer.payload["what"]
        if timer.payload.get("severity") != incident.severity and what != "roles":
            return  # set for an earlier severity: the new severity armed its own
        if what == "sla":
            self._sla(session, incident, timer.payload["clock"], timer.due_at, now)
        elif what == "criterion":
            criterion = next(
                (c for c in self.playbook.escalation.criteria if c.id == timer.payload["rule"]),
                None,
            )
            applies = criterion is not None and rules.criterion_applies(
                criterion, incident.severity
            )
            if (
                applies
                and criterion is not None
                and (
                    criterion.trigger != "fact"
                    or rules.fact_true(incident.facts or {}, criterion.fact or "")
                )
            ):
                self._apply(session, incident, criterion, now)
        elif what == "war_room":
            self._check_war_room(session, incident, now)
        elif what == "management":
            self._management(session, incident, now)
        elif what == "roles":
            self._roles(session, incident, now)

    def _sla(
        self, session: Session, incident: Incident, clock: str, due: datetime, now: datetime
    ) -> None:
        if clock == "response" and incident.acknowledged_at is not None:
            return
        record(
            session,
            incident.id,
            now,
            ACTOR,
            "sla_breached",
            {
                "clock": clock,
                "severity": incident.severity,
                "due_at": due.isoformat(),
                "late_by_seconds": int((now - due).total_seconds()),
            },
        )
        # Never silent: the next escalation level hears about it, unless the escalation
        # policy is still paging on its own (it reaches the next level on its schedule).
        escalation = session.get(Escalation, incident.id)
        if escalation is not None and escalation.state == "active":
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "sla_escalated",
                {"clock": clock, "level": None, "note": "the escalation policy is paging"},
            )
            return
        level = self.pager.notify_next_level(session, incident, f"sla-{clock}", now)
        record(session, incident.id, now, ACTOR, "sla_escalated", {"clock": clock, "level": level})

    def _management(self, session: Session, incident: Incident, now: datetime) -> None:
        context = ctx.build(self.playbook, incident, now, None)
        try:
            text = render(
                "war_room.checkpoints.management_message",
                self.playbook.war_room.checkpoints.management_message,
                context,
            )
        except TemplateProblem as exc:
            text = (
                f"Incident #{incident.id} has lasted long: consider executive escalation "
                f"({exc.reason})"
            )
        record(session, incident.id, now, ACTOR, "management_reminder", {"text": text})
        self._tell(session, incident, text, f"mgmt-reminder:{incident.id}", now)

    def _roles(self, session: Session, incident: Incident, now: datetime) -> None:
        missing = self.command.missing_roles(session, incident)
        if not missing:
            return
        names = {r.id: r.name for r in self.playbook.war_room.roles}
        text = (
            "Required roles are not assigned: "
            + ", ".join(names[m] for m in missing)
            + f". Assign them: firebell role {incident.id} ROLE PERSON"
        )
        record(session, incident.id, now, ACTOR, "roles_missing", {"missing": missing})
        self._tell(session, incident, text, f"roles:{incident.id}:{now.isoformat()}", now)
        interval = self.playbook.war_room.checkpoints.interval
        self._timer(session, incident, "roles", interval.after(now), now)
