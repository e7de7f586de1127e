"""On-call schedules in storage: overrides, "who is on call", calendars, hand-offs, pay.

The arithmetic lives in `firebell.oncall` (pure); this module only loads overrides and
incidents from the database and hands them over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell import oncall
from firebell.auth.keys import derive
from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Invalid, NotFound
from firebell.incidents import visibility
from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.paging.schedules import schedule_model
from firebell.playbook.schema import Playbook
from firebell.store.db import transaction
from firebell.store.models import HandoffNote, Incident, ScheduleOverride

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class OnCallEntry:
    user: str
    schedule: str | None
    policy: str
    policy_name: str
    level: int
    start: datetime | None
    end: datetime | None


MAX_WINDOW = timedelta(days=400)


def _cap(since: datetime, until: datetime) -> None:
    """A window is bounded: expanding schedules costs time in proportion to it."""
    if until - since > MAX_WINDOW:
        raise Invalid.field("until", f"a window is at most {MAX_WINDOW.days} days after since")


def _true_bounds(
    model: oncall.Schedule, since: datetime, until: datetime
) -> list[oncall.FinalEntry]:
    """The stretches on call in [since, until), the first and last with their real start
    and end rather than cut at the window's edges."""
    entries = list(oncall.final_schedule(model, since, until).entries)
    if entries and entries[0].start == since:
        entries[0] = oncall.stretch_at(model, since) or entries[0]
    if entries and entries[-1].end == until:
        last = oncall.stretch_at(model, until - timedelta(microseconds=1))
        if last is not None and last.user == entries[-1].user:
            entries[-1] = replace(entries[-1], end=last.end)
    return entries


class Schedules:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        master_key: bytes,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.master_key = master_key

    # --- reading ---------------------------------------------------------------------

    def schedule_ids(self) -> list[str]:
        return [s.id for s in self.playbook.on_call.schedules]

    def require(self, schedule_id: str) -> None:
        if schedule_id not in self.schedule_ids():
            known = ", ".join(self.schedule_ids())
            raise NotFound(f"no schedule '{schedule_id}'; schedules: {known}")

    def overrides(self, session: Session, schedule_id: str) -> list[oncall.Override]:
        rows = session.scalars(
            select(ScheduleOverride).where(ScheduleOverride.schedule == schedule_id)
        )
        return [
            oncall.Override(str(r.id), r.person, r.start_at, r.end_at, r.created_at) for r in rows
        ]

    def model(self, session: Session, schedule_id: str) -> oncall.Schedule:
        self.require(schedule_id)
        return schedule_model(self.playbook, schedule_id, self.overrides(session, schedule_id))

    def final(self, schedule_id: str, since: datetime, until: datetime) -> oncall.FinalSchedule:
        if until <= since:
            raise Invalid.field("until", "must be after since")
        _cap(since, until)
        with self.sessions() as session:
            return oncall.final_schedule(self.model(session, schedule_id), since, until)

    def oncalls(
        self,
        since: datetime,
        until: datetime,
        schedule: str | None = None,
        user: str | None = None,
    ) -> list[OnCallEntry]:
        """PagerDuty's /oncalls: every (user, escalation level) on call in [since, until]."""
        if schedule is not None:
            self.require(schedule)
        _cap(since, until)
        instant = since == until
        result: list[OnCallEntry] = []
        with self.sessions() as session:
            finals: dict[str, list[tuple[str, datetime | None, datetime | None]]] = {}
            for policy in self.playbook.escalation_policies:
                for number, level in enumerate(policy.levels, 1):
                    for target in level.targets:
                        for who, sched, start, end in self._expand(
                            session, target.type, target.id, since, until, instant, finals
                        ):
                            if schedule is not None and sched != schedule:
                                continue
                            if user is not None and who != user:
                                continue
                            result.append(
                                OnCallEntry(who, sched, policy.id, policy.name, number, start, end)
                            )
        return result

    def _expand(
        self,
        session: Session,
        kind: str,
        target_id: str,
        since: datetime,
        until: datetime,
        instant: bool,
        cache: dict[str, list[tuple[str, datetime | None, datetime | None]]],
    ) -> list[tuple[str, str | None, datetime | None, datetime | None]]:
        if kind == "person":
            return [(target_id, None, None, None)]
        if kind == "team":
            team = next((t for t in self.playbook.teams if t.id == target_id), None)
            members = (team.members or ([team.lead] if team and team.lead else [])) if team else []
            return [(m, None, None, None) for m in members]
        if target_id not in cache:
            model = self.model(session, target_id)
            if instant:
                answer = oncall.who_is_on_call(model, since)
                spans: list[tuple[str, datetime | None, datetime | None]] = []
                entry = oncall.stretch_at(model, since) if answer is not None else None
                if answer is not None and entry is not None:
                    spans.append((answer.user, entry.start, entry.end))
                cache[target_id] = spans
            else:
                cache[target_id] = [
                    (e.user, e.start, e.end) for e in _true_bounds(model, since, until)
                ]
        return [(u, target_id, s, e) for u, s, e in cache[target_id]]

    # --- overrides ---------------------------------------------------------------------

    def add_override(
        self,
        schedule_id: str,
        person: str,
        start: datetime,
        end: datetime,
        reason: str | None,
        actor: Principal,
    ) -> ScheduleOverride:
        self.require(schedule_id)
        if person not in {p.id for p in self.playbook.people}:
            raise Invalid.field("person", f"'{person}' is not in the playbook's people")
        if end <= start:
            raise Invalid.field("end", "must be after start")
        with transaction(self.sessions) as session:
            row = ScheduleOverride(
                schedule=schedule_id,
                person=person,
                start_at=start,
                end_at=end,
                reason=reason,
                created_at=self.clock.now(),
                created_by=actor.name,
            )
            session.add(row)
            session.flush()
        return row

    def list_overrides(self, schedule_id: str) -> list[ScheduleOverride]:
        self.require(schedule_id)
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(ScheduleOverride)
                    .where(ScheduleOverride.schedule == schedule_id)
                    .order_by(ScheduleOverride.start_at)
                )
            )

    def delete_override(self, schedule_id: str, override_id: int) -> None:
        with transaction(self.sessions) as session:
            row = session.get(ScheduleOverride, override_id)
            if row is None or row.schedule != schedule_id:
                raise NotFound(f"no override #{override_id} on schedule '{schedule_id}'")
            session.delete(row)

    # --- calendars ---------------------------------------------------------------------

    def calendar_token(self, kind: str, ident: str) -> str:
        """A read-only secret for one calendar URL (calendar clients cannot send headers)."""
        return derive(self.master_key, f"ical:{kind}:{ident}", 40)

    def calendar(self, kind: str, ident: str, token: str) -> bytes:
        import hmac

        if not hmac.compare_digest(token.encode(), self.calendar_token(kind, ident).encode()):
            raise NotFound("no such calendar")
        now = self.clock.now()
        since, until = now - timedelta(days=7), now + timedelta(days=90)
        if kind == "schedule":
            final = self.final(ident, since, until)
            name = next(s.name for s in self.playbook.on_call.schedules if s.id == ident)
            return oncall.schedule_to_ical(name, final.entries, generated_at=now, schedule_id=ident)
        entries: list[oncall.FinalEntry] = []
        for schedule in self.playbook.on_call.schedules:
            final = self.final(schedule.id, since, until)
            entries += [e for e in final.entries if e.user == ident]
        person = next((p for p in self.playbook.people if p.id == ident), None)
        if person is None:
            raise NotFound("no such calendar")
        return oncall.person_to_ical(
            f"{person.name}", entries, ident, generated_at=now, schedule_id=f"person:{ident}"
        )

    # --- hand-offs -----------------------------------------------------------------------

    def record_handoff(
        self, schedule_id: str, notes: dict[str, Any], actor: Principal
    ) -> HandoffNote:
        """The seed's hand-off: attached to the shift in force now, with open incidents
        filled in from the database."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            model = self.model(session, schedule_id)
            final = oncall.final_schedule(model, now - timedelta(days=35), now + timedelta(days=35))
            current = next((e for e in final.entries if e.start <= now < e.end), None)
            previous = next((e for e in reversed(final.entries) if e.end <= now), None)
            open_incidents = [
                f"#{i.id} {i.severity} {i.title} ({i.status})"
                for i in session.scalars(
                    select(Incident)
                    .where(Incident.status.in_(OPEN_STATUSES), visibility.public_only())
                    .order_by(Incident.id)
                )
            ]
            row = HandoffNote(
                schedule=schedule_id,
                shift_start=current.start if current else now,
                outgoing=notes.get("outgoing") or (previous.user if previous else None),
                incoming=notes.get("incoming") or (current.user if current else None),
                notes={**notes, "open_incidents": open_incidents},
                created_at=now,
                created_by=actor.name,
            )
            session.add(row)
            session.flush()
        return row

    # --- compensation --------------------------------------------------------------------

    def compensation(self, month: str) -> list[oncall.CompensationRow]:
        try:
            year, mon = (int(p) for p in month.split("-"))
            first = date(year, mon, 1)
        except ValueError:
            raise Invalid.field("month", "write the month as YYYY-MM, e.g. 2026-11") from None
        comp = self.playbook.compensation
        tz = comp.business_hours.timezone
        policy = oncall.CompensationPolicy(
            time_zone=tz,
            weekday_hours=Decimal(str(comp.weekday_hours_per_day)),
            weekend_hours=Decimal(str(comp.weekend_hours_per_day)),
            holiday_hours=Decimal(str(comp.holiday_hours_per_day)),
            incident_multiplier=Decimal(str(comp.incident_multiplier)),
            business_start=comp.business_hours.start,
            business_end=comp.business_hours.end,
            business_days=frozenset(oncall.Weekday(_WEEKDAYS[d]) for d in comp.business_hours.days),
        )
        since = datetime.combine(first, time(0), UTC) - timedelta(days=2)
        until = datetime.combine(
            (first + timedelta(days=32)).replace(day=1), time(0), UTC
        ) + timedelta(days=2)
        on_call: dict[str, list[oncall.Interval]] = {}
        for schedule in self.playbook.on_call.schedules:
            final = self.final(schedule.id, since, until)
            for user, spans in oncall.spans_by_user(final.entries).items():
                on_call.setdefault(user, []).extend(spans)
        incidents: dict[str, list[oncall.Interval]] = {}
        people = {p.id for p in self.playbook.people}
        with self.sessions() as session:
            rows = session.scalars(
                select(Incident).where(
                    Incident.acknowledged_at.is_not(None),
                    Incident.acknowledged_at < until,
                    Incident.drill.is_(False),
                )
            )
            for incident in rows:
                # Response time is credited to whoever acknowledged, from ack to resolution.
                who = incident.acknowledged_by
                if who not in people or incident.acknowledged_at is None:
                    continue
                end = incident.resolved_at or self.clock.now()
                if end > incident.acknowledged_at:
                    incidents.setdefault(who, []).append(
                        oncall.Interval(incident.acknowledged_at, end)
                    )
        calendar = oncall.holiday_calendar(
            comp.holiday_country, comp.holiday_subdivision, years=year
        )
        return oncall.monthly_compensation(
            year, mon, on_call, incidents, holidays=calendar, policy=policy
        )
