"""An incident's SLA clocks, as a pure function of the playbook, its timestamps and now.

Three clocks, measured as the playbook's SLA table says:

- **response**: from declaration until acknowledged (the SLA table's ``response_time``);
- **resolution**: from declaration until resolved (``resolution_time``);
- **next update**: while the incident is open, the severity's ``update_cadence`` after
  the last stakeholder update (or after declaration when none was sent yet).

A clock that stopped (acknowledged, resolved) keeps its due time and says whether it was
met; a running clock says how long is left (negative when breached).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.playbook.durations import Span
from firebell.playbook.schema import Playbook

ClockName = Literal["response", "resolution", "next_update"]
LABELS: dict[ClockName, str] = {
    "response": "Response",
    "resolution": "Resolution",
    "next_update": "Next update",
}


@dataclass(frozen=True)
class IncidentTimes:
    """What the clocks need to know about one incident."""

    severity: str
    status: str
    declared_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    last_update_at: datetime | None = None


@dataclass(frozen=True)
class SlaClock:
    name: ClockName
    due: datetime
    stopped_at: datetime | None  # when the clock stopped (acknowledged, resolved)
    breached: bool
    remaining: timedelta | None  # None once stopped; negative when overdue

    @property
    def label(self) -> str:
        return LABELS[self.name]


def _clock(name: ClockName, due: datetime, stopped_at: datetime | None, now: datetime) -> SlaClock:
    if stopped_at is not None:
        return SlaClock(name, due, stopped_at, stopped_at > due, None)
    return SlaClock(name, due, None, now > due, due - now)


def targets(playbook: Playbook, severity: str) -> tuple[Span, Span]:
    """(response, resolution) from the SLA table; the severity's own targets if the
    table has no row for it."""
    row = next((r for r in playbook.sla if r.severity == severity), None)
    if row is not None:
        return row.response_time, row.resolution_time
    spec = playbook.severity(severity)
    return spec.response_time, spec.resolution_target


def sla_clocks(playbook: Playbook, times: IncidentTimes, now: datetime) -> list[SlaClock]:
    response, resolution = targets(playbook, times.severity)
    start = times.declared_at
    clocks = [
        _clock("response", response.after(start), times.acknowledged_at, now),
        _clock("resolution", resolution.after(start), times.resolved_at, now),
    ]
    cadence = playbook.severity(times.severity).update_cadence
    if cadence is not None and times.status in OPEN_STATUSES:
        since = max(start, times.last_update_at) if times.last_update_at else start
        clocks.append(_clock("next_update", cadence.after(since), None, now))
    return clocks


def describe(clock: SlaClock) -> str:
    """'due in 3 min', 'breached 2 h 5 min ago', 'met', 'missed' — for people."""
    if clock.remaining is None:
        return "missed" if clock.breached else "met"
    if clock.breached:
        return f"breached {human(-clock.remaining)} ago"
    return f"due in {human(clock.remaining)}"


def human(span: timedelta) -> str:
    """A short length of time: '45 s', '3 min', '2 h 5 min', '3 d 4 h'."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
