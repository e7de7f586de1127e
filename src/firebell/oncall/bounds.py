"""True bounds of the on-call stretch around an instant, however long the shifts are.

The final schedule is computed for a window; a stretch that reaches the window's edge
may go on beyond it. The window is widened (doubling) until the stretch ends inside it,
so a quarterly rotation's shift is reported with its real start and end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .final_schedule import final_schedule
from .models import FinalEntry, Schedule

__all__ = ["stretch_at"]

FIRST_REACH = timedelta(days=35)
MAX_REACH = timedelta(days=4 * 366)  # beyond this, the edge found is reported as is


def stretch_at(
    schedule: Schedule, instant: datetime, reach: timedelta = FIRST_REACH
) -> FinalEntry | None:
    """The maximal stretch [start, end) of one person on call covering ``instant``."""
    while True:
        since, until = instant - reach, instant + reach
        entries = final_schedule(schedule, since, until).entries
        entry = next((e for e in entries if e.start <= instant < e.end), None)
        if entry is None:
            return None
        clipped = entry.start == since or entry.end == until
        if not clipped or reach >= MAX_REACH:
            return entry
        reach = min(reach * 2, MAX_REACH)
