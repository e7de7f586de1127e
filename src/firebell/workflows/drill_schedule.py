"""The drill programme (pure): which planned drill runs when, and when its organisers are
reminded.

A planned drill (``drills.schedule.drills`` in the playbook) runs on local wall-clock time
in the programme's zone: "the second Tuesday of the quarter's second month at 14:00
Europe/London" is 14:00 GMT in February and 14:00 BST in May. A local time that does not
exist (the hour skipped when clocks go forward) is read with the offset before the change,
i.e. it moves forward by the gap (02:30 becomes 03:30); a repeated local time is its first
occurrence. Nothing here reads a clock: ``now`` is always a parameter.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from firebell.playbook.schema import WEEKDAYS, PlannedDrill, Playbook

HORIZON = timedelta(days=366)  # how far `upcoming` looks by default
KEY = "drill-reminder"


@dataclass(frozen=True)
class UpcomingDrill:
    """One occurrence of a planned drill."""

    plan: str
    scenario: str
    scenario_name: str
    severity: str
    starts_at: datetime  # UTC
    local: datetime  # the same instant in the programme's zone
    duration: timedelta
    organisers: tuple[str, ...]
    participants: tuple[str, ...]

    @property
    def timezone(self) -> str:
        return str(self.local.tzinfo)

    @property
    def command(self) -> str:
        """What an organiser types to run it."""
        return f"firebell drill start {self.scenario} --participants {','.join(self.participants)}"


@dataclass(frozen=True)
class Reminder:
    """A note to the organisers of `drill`, `before` its start."""

    drill: UpcomingDrill
    before: timedelta
    due_at: datetime

    @property
    def key(self) -> str:
        """The same reminder always has the same key (the outbox refuses a second one)."""
        seconds = int(self.before.total_seconds())
        return f"{KEY}:{self.drill.plan}:{self.drill.starts_at:%Y%m%dT%H%M}:{seconds}"


def zone_of(playbook: Playbook) -> ZoneInfo:
    return ZoneInfo(playbook.drills.schedule.timezone or playbook.organization.timezone)


def day_in_month(plan: PlannedDrill, year: int, month: int) -> date:
    """The day of `month` the plan names: a fixed day, or the n-th (or last) weekday."""
    if plan.day is not None:
        return date(year, month, plan.day)
    assert plan.week is not None and plan.weekday is not None  # the schema makes sure
    wanted = WEEKDAYS.index(plan.weekday)
    if plan.week == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - wanted) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(wanted - first.weekday()) % 7 + 7 * (plan.week - 1))


def months_of(plan: PlannedDrill) -> set[int]:
    """The months (1-12) a recurring plan runs in."""
    if plan.cadence == "monthly":
        return set(range(1, 13))
    if plan.cadence == "annually":
        assert plan.month is not None
        return {plan.month}
    quarters = plan.quarters or [1, 2, 3, 4]
    return {(q - 1) * 3 + (plan.month or 1) for q in quarters}


def local_instant(day: date, plan: PlannedDrill, zone: ZoneInfo) -> datetime:
    """`plan.at` on `day` in `zone`, as an aware local datetime that really exists."""
    naive = datetime.combine(day, plan.at)
    utc = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: a gap moves forward
    return utc.astimezone(zone)


def occurrences(
    plan: PlannedDrill, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Local start instants of `plan` with start <= instant < end, in order."""
    if plan.cadence == "dates":
        days: Iterator[date] = iter(sorted(set(plan.dates)))
    else:
        days = _recurring_days(plan, start.astimezone(zone).date(), end.astimezone(zone).date())
    for day in days:
        instant = local_instant(day, plan, zone)
        if instant >= end:
            return
        if instant >= start:
            yield instant


def _recurring_days(plan: PlannedDrill, first: date, last: date) -> Iterator[date]:
    months = months_of(plan)
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if month in months:
            yield day_in_month(plan, year, month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def upcoming(
    playbook: Playbook,
    now: datetime,
    *,
    until: datetime | None = None,
    plan: str | None = None,
) -> list[UpcomingDrill]:
    """Every planned drill starting at or after `now` and before `until` (default: a year
    on), earliest first; only `plan`'s when given."""
    zone = zone_of(playbook)
    end = until if until is not None else now + HORIZON
    scenarios = {s.id: s for s in playbook.drills.scenarios}
    found: list[UpcomingDrill] = []
    for planned in playbook.drills.schedule.drills:
        if plan is not None and planned.id != plan:
            continue
        scenario = scenarios.get(planned.scenario)
        for local in occurrences(planned, zone, now, end):
            found.append(
                UpcomingDrill(
                    plan=planned.id,
                    scenario=planned.scenario,
                    scenario_name=scenario.name if scenario else planned.scenario,
                    severity=scenario.severity if scenario else "-",
                    starts_at=local.astimezone(UTC),
                    local=local,
                    duration=planned.duration.approx(),
                    organisers=tuple(planned.organisers),
                    participants=tuple(planned.participants),
                )
            )
    return sorted(found, key=lambda d: (d.starts_at, d.plan))


def reminders_of(playbook: Playbook, drill: UpcomingDrill) -> list[Reminder]:
    """The reminders of one occurrence, earliest first."""
    befores = sorted({s.approx() for s in playbook.drills.schedule.reminders}, reverse=True)
    return [Reminder(drill, b, drill.starts_at - b) for b in befores if b > timedelta(0)]


def next_reminder(playbook: Playbook, plan: str, after: datetime) -> Reminder | None:
    """The first reminder of `plan` due strictly after `after` whose drill is still to
    come. Looks as far ahead as the longest reminder plus a year."""
    spans = [s.approx() for s in playbook.drills.schedule.reminders]
    if not spans:
        return None
    longest = max(spans)
    for drill in upcoming(playbook, after, until=after + longest + HORIZON, plan=plan):
        for reminder in reminders_of(playbook, drill):
            if reminder.due_at > after:
                return reminder
    return None


def still_planned(playbook: Playbook, plan: str, starts_at: datetime, before: timedelta) -> bool:
    """Whether the programme still has this reminder (the playbook may have changed
    since its timer was set)."""
    drills = upcoming(playbook, starts_at, until=starts_at + timedelta(seconds=1), plan=plan)
    return any(
        d.starts_at == starts_at and any(r.before == before for r in reminders_of(playbook, d))
        for d in drills
    )


def reminder_text(reminder: Reminder, names: dict[str, str]) -> tuple[str, str]:
    """Subject and body of a reminder: scenario, date, participants, how to start it."""
    drill = reminder.drill
    when = f"{drill.local:%A %Y-%m-%d %H:%M} {drill.timezone}"
    subject = f"[firebell] Drill reminder: {drill.scenario_name} on {drill.local:%Y-%m-%d}"
    people = "\n".join(f"- {names.get(p, p)} ({p})" for p in drill.participants)
    body = (
        f"The planned drill '{drill.plan}' runs in {_span(reminder.before)}.\n\n"
        f"Scenario: {drill.scenario_name} ({drill.scenario}, {drill.severity})\n"
        f"When: {when} ({drill.starts_at:%Y-%m-%d %H:%M} UTC), "
        f"for {_span(drill.duration)}\n"
        f"Participants:\n{people}\n\n"
        "To start it at that time:\n\n"
        f"    {drill.command}\n\n"
        "A drill pages and tells its participants only, every message prefixed [DRILL].\n"
    )
    return subject, body


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{seconds // 60} minutes"
