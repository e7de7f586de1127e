"""Rotation shifts: the hand-off grid of a rotation and who holds each shift.

Hand-off ``k`` (any integer) of a rotation is ``H(k) + offset`` where ``H`` is:

* wall-clock lengths (daily, weekly, hourly dividing/multiple of 24): the local time
  ``anchor + k * length`` resolved with the DST rules of :mod:`.localtime`;
* monthly: ``anchor`` moved by ``k * count`` months (day clamped, see ``add_months``);
* elapsed lengths (a ``timedelta``, or hourly counts like 5 h or 36 h):
  ``resolve(anchor) + k * length`` in UTC.

Shift ``k`` is [hand-off k, hand-off k+1) and belongs to ``members[k mod n]``. Finding
the shift at an instant is O(1): estimate ``k`` arithmetically, then nudge it by at
most a step or two to absorb DST shifts, never enumerating from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from .localtime import add_months, local_naive, resolve_local, zone
from .models import CalendarLength, Rotation, Shift, ShiftUnit, require_aware
from .turns import turn_index

__all__ = ["handoff_instant", "on_call_at", "shift_at", "shifts", "staggered_rotation"]


@dataclass(frozen=True, slots=True)
class _Grid:
    """Pre-digested hand-off grid of one rotation (cached per rotation)."""

    kind: Literal["wall", "monthly", "elapsed"]
    step: timedelta  # wall: naive local step; elapsed: UTC step; monthly: unused
    months: int  # monthly: months per shift
    anchor_local: datetime  # naive local anchor (handoff_time on start's local date)
    anchor_utc: datetime  # resolved anchor instant


@lru_cache(maxsize=8192)
def _grid(rotation: Rotation) -> _Grid:
    tz = zone(rotation.time_zone)
    anchor_local = datetime.combine(local_naive(rotation.start, tz).date(), rotation.handoff_time)
    anchor_utc = resolve_local(anchor_local, tz)
    length = rotation.shift_length
    if isinstance(length, timedelta):
        return _Grid("elapsed", length, 0, anchor_local, anchor_utc)
    if length.unit is ShiftUnit.MONTHLY:
        return _Grid("monthly", timedelta(0), length.count, anchor_local, anchor_utc)
    step = _calendar_step(length)
    if length.unit is ShiftUnit.HOURLY and (24 % length.count and length.count % 24):
        return _Grid("elapsed", step, 0, anchor_local, anchor_utc)
    return _Grid("wall", step, 0, anchor_local, anchor_utc)


def _calendar_step(length: CalendarLength) -> timedelta:
    if length.unit is ShiftUnit.HOURLY:
        return timedelta(hours=length.count)
    if length.unit is ShiftUnit.DAILY:
        return timedelta(days=length.count)
    return timedelta(weeks=length.count)


def _base_handoff(rotation: Rotation, grid: _Grid, k: int) -> datetime:
    """Hand-off ``k`` before applying the rotation's offset."""
    if grid.kind == "elapsed":
        return grid.anchor_utc + k * grid.step
    tz = zone(rotation.time_zone)
    if grid.kind == "wall":
        return resolve_local(grid.anchor_local + k * grid.step, tz)
    return resolve_local(add_months(grid.anchor_local, k * grid.months), tz)


def handoff_instant(rotation: Rotation, k: int) -> datetime:
    """The UTC instant of hand-off number ``k`` (0 is the anchor; may be negative)."""
    return _base_handoff(rotation, _grid(rotation), k) + rotation.offset


def _locate(rotation: Rotation, grid: _Grid, instant: datetime) -> tuple[int, datetime, datetime]:
    """Shift index ``k`` and its bounds, hand-off(k) <= instant < hand-off(k+1), in O(1)."""
    target = instant - rotation.offset
    if grid.kind == "elapsed":
        k = (target - grid.anchor_utc) // grid.step
        start = grid.anchor_utc + k * grid.step
        return k, start + rotation.offset, start + grid.step + rotation.offset
    local = local_naive(target, zone(rotation.time_zone))
    if grid.kind == "wall":
        k = (local - grid.anchor_local) // grid.step
    else:
        anchor = grid.anchor_local
        months = (local.year - anchor.year) * 12 + local.month - anchor.month
        k = months // grid.months
    # DST gaps/folds and month clamping can put the estimate one step off.
    start = _base_handoff(rotation, grid, k)
    while start > target:
        k -= 1
        start = _base_handoff(rotation, grid, k)
    end = _base_handoff(rotation, grid, k + 1)
    while end <= target:
        k += 1
        start, end = end, _base_handoff(rotation, grid, k + 1)
    return k, start + rotation.offset, end + rotation.offset


def _member(rotation: Rotation, k: int) -> str:
    if rotation.turns_over:
        return rotation.members[turn_index(rotation, k)]
    return rotation.members[k % len(rotation.members)]


def shift_at(rotation: Rotation, instant: datetime) -> Shift | None:
    """The shift covering ``instant`` (starting no earlier than ``rotation.start``)."""
    instant = require_aware(instant, "instant")
    if instant < rotation.start:
        return None
    k, start, end = _locate(rotation, _grid(rotation), instant)
    return Shift(_member(rotation, k), max(start, rotation.start), end)


def on_call_at(rotation: Rotation, instant: datetime) -> str | None:
    """The member on call at ``instant``, or None before the rotation starts."""
    shift = shift_at(rotation, instant)
    return None if shift is None else shift.member


def shifts(rotation: Rotation, since: datetime, until: datetime) -> list[Shift]:
    """Shifts overlapping [since, until), clipped to it, in order.

    Zero-length shifts (two hand-offs resolving to the same instant, e.g. hourly
    hand-offs at 02:00 and 03:00 on a spring-forward night) are dropped.
    """
    since = max(require_aware(since, "since"), rotation.start)
    until = require_aware(until, "until")
    result: list[Shift] = []
    if since >= until:
        return result
    grid = _grid(rotation)
    k, start, end = _locate(rotation, grid, since)
    while start < until:
        clipped_start, clipped_end = max(start, since), min(end, until)
        if clipped_start < clipped_end:
            result.append(Shift(_member(rotation, k), clipped_start, clipped_end))
        k += 1
        start, end = end, _base_handoff(rotation, grid, k + 1) + rotation.offset
    return result


def staggered_rotation(primary: Rotation, *, id: str, offset: timedelta) -> Rotation:
    """A secondary rotation over the primary's roster, handing off ``offset`` later.

    The roster keeps its cyclic order but is rotated by one, so each secondary shift is
    held by the *previous* primary. With at least three distinct members and
    ``0 <= offset <`` one shift, nobody is ever primary and secondary at once. Two
    members cannot work: a secondary shift that straddles a primary hand-off would
    overlap both of them, so that case is rejected.
    """
    members = primary.members
    if len(set(members)) != len(members):
        raise ValueError("staggered rotations need distinct members")
    if offset and len(members) < 3:
        raise ValueError(
            "a staggered secondary needs >= 3 members: with 2, every secondary shift "
            "straddles a primary hand-off and overlaps one of them"
        )
    if offset < timedelta(0):
        raise ValueError("offset must not be negative")
    return Rotation(
        id=id,
        members=(members[-1], *members[:-1]),
        shift_length=primary.shift_length,
        handoff_time=primary.handoff_time,
        time_zone=primary.time_zone,
        start=primary.start,
        offset=primary.offset + offset,
    )
