"""Reminders of planned drills to their organisers, through the durable timers and outbox.

One pending timer per planned drill holds its next reminder (``payload``: the plan, the
drill's start and how long before it). When it fires, the reminder is written to the
outbox in the same transaction that marks the timer fired and arms the next one, so a
restart loses none: a timer that came due while firebell was down fires when it is back
(unless the drill has started by then). None is sent twice: a fired timer never fires
again, and every message's dedupe key names the plan, the drill's start and the offset,
which the outbox holds unique.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.playbook.schema import Playbook
from firebell.store.db import serialize, transaction
from firebell.store.models import Message, Timer
from firebell.store.outbox import tell
from firebell.workflows import drill_schedule
from firebell.workflows.drill_schedule import Reminder

log = logging.getLogger("firebell.drills")
KIND = "drill_reminder"
PURPOSE = "drill_reminder"
LOCK = 0x6472696C  # "dril": arming the reminder timers


class DrillReminders:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        methods: Callable[[], set[str]],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.methods = methods  # the channel methods configured now

    def ensure_timers(self) -> int:
        """One pending reminder timer per planned drill (idempotent; run at engine start).
        A pending timer the programme no longer holds (the playbook changed) is cancelled
        and replaced; one still valid is kept, even if overdue, so it fires now."""
        now = self.clock.now()
        made = 0
        with transaction(self.sessions) as session:
            serialize(session, LOCK)  # two engines starting together arm one timer each
            pending = list(
                session.scalars(select(Timer).where(Timer.kind == KIND, Timer.status == "pending"))
            )
            kept: set[str] = set()
            for timer in pending:
                plan = str(timer.payload.get("plan"))
                if plan not in kept and self._valid(timer):
                    kept.add(plan)
                else:
                    timer.status = "cancelled"
            for planned in self.playbook.drills.schedule.drills:
                if planned.id in kept:
                    continue
                reminder = drill_schedule.next_reminder(self.playbook, planned.id, now)
                if reminder is not None:
                    session.add(_timer(reminder, now))
                    made += 1
        return made

    def _valid(self, timer: Timer) -> bool:
        try:
            starts_at = datetime.fromisoformat(timer.payload["starts_at"])
            before = timedelta(seconds=int(timer.payload["before"]))
        except (KeyError, TypeError, ValueError):
            return False
        return drill_schedule.still_planned(
            self.playbook, str(timer.payload["plan"]), starts_at, before
        )

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        """Tell the organisers (unless the drill has begun or left the programme), then
        arm the plan's next reminder."""
        plan = str(timer.payload["plan"])
        starts_at = datetime.fromisoformat(timer.payload["starts_at"])
        before = timedelta(seconds=int(timer.payload["before"]))
        if self._valid(timer) and now < starts_at:
            drill = next(
                d
                for d in drill_schedule.upcoming(
                    self.playbook, starts_at, until=starts_at + timedelta(seconds=1), plan=plan
                )
                if d.starts_at == starts_at
            )
            self._send(session, Reminder(drill, before, starts_at - before), now)
        elif now >= starts_at:
            log.info("drill reminder for %s at %s skipped: the drill has begun", plan, starts_at)
        upcoming = drill_schedule.next_reminder(self.playbook, plan, max(timer.due_at, now))
        if upcoming is not None:
            session.add(_timer(upcoming, now))

    def _send(self, session: Session, reminder: Reminder, now: datetime) -> None:
        already = session.scalar(
            select(Message.id).where(Message.dedupe_key.startswith(reminder.key + ":")).limit(1)
        )
        if already is not None:
            return  # a stray second timer for the same reminder: never twice
        people = {p.id: p for p in self.playbook.people}
        subject, body = drill_schedule.reminder_text(
            reminder, {p.id: p.name for p in self.playbook.people}
        )
        available = self.methods()
        for organiser in reminder.drill.organisers:
            person = people.get(organiser)
            if person is None:
                continue
            tell(
                session,
                person,
                purpose=PURPOSE,
                subject=subject,
                body=body,
                key=reminder.key,
                now=now,
                payload={
                    "plan": reminder.drill.plan,
                    "scenario": reminder.drill.scenario,
                    "starts_at": reminder.drill.starts_at.isoformat(),
                },
                available=available,
            )


def _timer(reminder: Reminder, now: datetime) -> Timer:
    return Timer(
        kind=KIND,
        due_at=reminder.due_at,
        status="pending",
        incident_id=None,
        generation=0,
        payload={
            "plan": reminder.drill.plan,
            "starts_at": reminder.drill.starts_at.isoformat(),
            "before": int(reminder.before.total_seconds()),
        },
        created_at=now,
    )
