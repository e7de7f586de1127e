"""Hand-off notifications: at each shift change the outgoing and incoming person are told
(one timer per schedule, re-armed for the next hand-off each time it fires)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell import oncall
from firebell.schedules.service import Schedules
from firebell.store.db import transaction
from firebell.store.models import Timer
from firebell.store.outbox import tell


class HandoffNotifier:
    """At each shift change, tell the outgoing and the incoming person (a timer per
    schedule, re-armed for the next hand-off each time it fires)."""

    KIND = "handoff"

    def __init__(self, schedules: Schedules, methods: Callable[[], set[str]]) -> None:
        self.schedules = schedules
        self.methods = methods  # callable -> set of configured channel methods

    def next_handoff(
        self, session: Session, schedule_id: str, after: datetime
    ) -> oncall.Handoff | None:
        model = self.schedules.model(session, schedule_id)
        for days in (8, 40):
            found = [
                h
                for h in oncall.handoffs(model, after, after + timedelta(days=days))
                if h.at > after
            ]
            if found:
                return found[0]
        return None

    def ensure_timers(self) -> int:
        """One pending hand-off timer per schedule (idempotent; run at engine start)."""
        now = self.schedules.clock.now()
        made = 0
        with transaction(self.schedules.sessions) as session:
            pending = {
                t.payload.get("schedule")
                for t in session.scalars(
                    select(Timer).where(Timer.kind == self.KIND, Timer.status == "pending")
                )
            }
            for schedule in self.schedules.playbook.on_call.schedules:
                if schedule.id in pending:
                    continue
                handoff = self.next_handoff(session, schedule.id, now)
                if handoff is not None:
                    session.add(
                        Timer(
                            kind=self.KIND,
                            due_at=handoff.at,
                            status="pending",
                            incident_id=None,
                            generation=0,
                            payload={"schedule": schedule.id},
                            created_at=now,
                        )
                    )
                    made += 1
        return made

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        schedule_id = timer.payload["schedule"]
        if schedule_id not in self.schedules.schedule_ids():
            return
        at = timer.due_at
        model = self.schedules.model(session, schedule_id)
        changes = [
            h
            for h in oncall.handoffs(model, at - timedelta(seconds=1), at + timedelta(seconds=1))
            if h.at == at
        ]
        people = {p.id: p for p in self.schedules.playbook.people}
        available = self.methods()
        name = next(
            s.name for s in self.schedules.playbook.on_call.schedules if s.id == schedule_id
        )
        for change in changes:
            for role, person_id in (("outgoing", change.outgoing), ("incoming", change.incoming)):
                person = people.get(person_id or "")
                if person is None:
                    continue
                text = (
                    f"On-call hand-off for {name} at {at:%Y-%m-%d %H:%M} UTC: "
                    f"{change.outgoing or 'nobody'} -> {change.incoming or 'nobody'}. "
                    + (
                        "You are now on call."
                        if role == "incoming"
                        else "Your shift has ended; record a hand-off note: firebell handoff "
                        f"--schedule {schedule_id}"
                    )
                )
                tell(
                    session,
                    person,
                    purpose="handoff",
                    subject=f"[firebell] on-call hand-off: {name}",
                    body=text,
                    key=f"handoff:{schedule_id}:{at.isoformat()}",
                    now=now,
                    payload={"schedule": schedule_id, "role": role},
                    available=available,
                )
        upcoming = self.next_handoff(session, schedule_id, at)
        if upcoming is not None:
            session.add(
                Timer(
                    kind=self.KIND,
                    due_at=upcoming.at,
                    status="pending",
                    incident_id=None,
                    generation=0,
                    payload={"schedule": schedule_id},
                    created_at=now,
                )
            )
