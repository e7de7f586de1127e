"""Final schedule: layers by priority, overrides on top, merged into contiguous entries.

Precedence at any instant: the latest-created covering override, else the
highest-priority layer whose rotation has someone on call and whose restriction is
active, else nobody (a gap).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime

from .intervals import intersect, union
from .localtime import zone
from .models import (
    FinalEntry,
    FinalSchedule,
    Interval,
    Layer,
    OnCall,
    Schedule,
    Source,
    require_aware,
)
from .override import override_at, override_rank
from .restriction import active_intervals, is_active
from .rotation import on_call_at, shifts

__all__ = ["final_schedule", "who_is_on_call"]


@dataclass(frozen=True, slots=True)
class _Segment:
    start: datetime
    end: datetime
    user: str
    source: Source


def _layer_coverage(layer: Layer, since: datetime, until: datetime) -> list[_Segment]:
    """The layer's rotation shifts within [since, until), cut down to its restrictions
    (all of them: the layer is active in their union)."""
    source = Source("layer", layer.id)
    layer_shifts = shifts(layer.rotation, since, until)
    if not layer.restrictions:
        return [_Segment(s.start, s.end, s.member, source) for s in layer_shifts]
    tz = zone(layer.rotation.time_zone)
    allowed = union(
        piece
        for restriction in layer.restrictions
        for piece in active_intervals(restriction, tz, since, until)
    )
    segments: list[_Segment] = []
    for shift in layer_shifts:
        for piece in intersect([Interval(shift.start, shift.end)], allowed):
            segments.append(_Segment(piece.start, piece.end, shift.member, source))
    return segments


def final_schedule(schedule: Schedule, since: datetime, until: datetime) -> FinalSchedule:
    """Who is on call over [since, until), as merged entries plus the gaps between them."""
    since, until = require_aware(since, "since"), require_aware(until, "until")
    if until <= since:
        raise ValueError("until must be after since")
    # Rank every segment: overrides above all layers (latest created first), then
    # layers by priority. Lower rank number = stronger.
    ranked: list[tuple[int, _Segment]] = []
    overrides = sorted(schedule.overrides, key=override_rank, reverse=True)
    for rank, override in enumerate(overrides):
        start, end = max(override.start, since), min(override.end, until)
        if start < end:
            ranked.append(
                (rank, _Segment(start, end, override.user, Source("override", override.id)))
            )
    layers = sorted(schedule.layers, key=lambda layer: layer.priority, reverse=True)
    for rank, layer in enumerate(layers, start=len(overrides)):
        ranked.extend((rank, segment) for segment in _layer_coverage(layer, since, until))
    return _merge(_paint(ranked, since, until), since, until)


def _paint(
    ranked: list[tuple[int, _Segment]], since: datetime, until: datetime
) -> list[tuple[datetime, datetime, _Segment | None]]:
    """Sweep elementary intervals, keeping the strongest covering segment of each."""
    ranked.sort(key=lambda item: item[1].start)
    cuts = sorted({since, until} | {t for _, s in ranked for t in (s.start, s.end)})
    heap: list[tuple[int, int, _Segment]] = []
    pieces: list[tuple[datetime, datetime, _Segment | None]] = []
    i = 0
    for start, end in itertools.pairwise(cuts):
        while i < len(ranked) and ranked[i][1].start <= start:
            rank, segment = ranked[i]
            heapq.heappush(heap, (rank, i, segment))
            i += 1
        while heap and heap[0][2].end <= start:
            heapq.heappop(heap)  # lazily drop segments that have ended
        pieces.append((start, end, heap[0][2] if heap else None))
    return pieces


def _merge(
    pieces: list[tuple[datetime, datetime, _Segment | None]], since: datetime, until: datetime
) -> FinalSchedule:
    entries: list[FinalEntry] = []
    gaps: list[Interval] = []
    for start, end, segment in pieces:
        if segment is None:
            if gaps and gaps[-1].end == start:
                gaps[-1] = Interval(gaps[-1].start, end)
            else:
                gaps.append(Interval(start, end))
            continue
        last = entries[-1] if entries else None
        if last is not None and last.end == start and last.user == segment.user:
            sources = last.sources
            if segment.source not in sources:
                sources = (*sources, segment.source)
            entries[-1] = FinalEntry(last.user, last.start, end, sources)
        else:
            entries.append(FinalEntry(segment.user, start, end, (segment.source,)))
    return FinalSchedule(since, until, tuple(entries), tuple(gaps))


def who_is_on_call(schedule: Schedule, instant: datetime) -> OnCall | None:
    """Who is on call at ``instant``; O(layers + overrides), no shift enumeration."""
    instant = require_aware(instant, "instant")
    override = override_at(schedule.overrides, instant)
    if override is not None:
        return OnCall(override.user, Source("override", override.id))
    for layer in sorted(schedule.layers, key=lambda layer: layer.priority, reverse=True):
        user = on_call_at(layer.rotation, instant)
        if user is None:
            continue
        tz = zone(layer.rotation.time_zone)
        if layer.restrictions and not any(
            is_active(restriction, tz, instant) for restriction in layer.restrictions
        ):
            continue
        return OnCall(user, Source("layer", layer.id))
    return None
