"""Hand-off detection: the instants where on-call duty changes hands."""

from __future__ import annotations

import itertools
from datetime import datetime

from .final_schedule import final_schedule
from .models import FinalSchedule, Handoff, Schedule

__all__ = ["handoffs", "handoffs_in"]


def handoffs_in(final: FinalSchedule) -> list[Handoff]:
    """Hand-offs inside a final schedule, including to/from a gap (``None`` = nobody).

    The window's own start and end are not hand-offs.
    """
    timeline: list[tuple[datetime, datetime, str | None]] = [
        (e.start, e.end, e.user) for e in final.entries
    ]
    timeline += [(g.start, g.end, None) for g in final.gaps]
    timeline.sort(key=lambda item: item[0])
    result: list[Handoff] = []
    for (_, _, outgoing), (at, _, incoming) in itertools.pairwise(timeline):
        if outgoing != incoming:
            result.append(Handoff(at, outgoing, incoming))
    return result


def handoffs(schedule: Schedule, since: datetime, until: datetime) -> list[Handoff]:
    """Hand-offs of ``schedule`` strictly inside [since, until)."""
    return handoffs_in(final_schedule(schedule, since, until))
