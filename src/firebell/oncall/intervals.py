"""Small helpers for half-open UTC intervals [start, end)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .models import Interval

__all__ = ["clip", "intersect", "overlap", "union"]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-adjacent cover of ``intervals`` (empty ones dropped)."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: i.start):
        if item.end <= item.start:
            continue
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Intersection of two sorted, non-overlapping interval lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            result.append(Interval(start, end))
        if a[i].end <= b[j].end:
            i += 1
        else:
            j += 1
    return result


def clip(interval: Interval, since: datetime, until: datetime) -> Interval | None:
    """``interval`` restricted to [since, until), or None if they do not overlap."""
    start, end = max(interval.start, since), min(interval.end, until)
    return Interval(start, end) if start < end else None


def overlap(intervals: Iterable[Interval], since: datetime, until: datetime) -> timedelta:
    """Total time of (disjoint) ``intervals`` inside [since, until)."""
    total = timedelta(0)
    for item in intervals:
        start, end = max(item.start, since), min(item.end, until)
        if start < end:
            total += end - start
    return total
