"""The playbook's rotations and schedules as the on-call core's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from firebell import oncall
from firebell.playbook import schema

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def rotation_model(rotation: schema.Rotation) -> oncall.Rotation:
    shift = rotation.shift
    length: oncall.CalendarLength | timedelta
    if shift.unit is not None:
        length = oncall.CalendarLength(oncall.ShiftUnit(shift.unit), shift.count)
    else:
        assert shift.duration is not None
        length = shift.duration.delta
    return oncall.Rotation(
        id=rotation.id,
        members=tuple(rotation.members),
        shift_length=length,
        handoff_time=rotation.handoff_time,
        time_zone=rotation.timezone,
        start=rotation.start,
        offset=rotation.offset.delta if rotation.offset else timedelta(0),
        turns_over=restriction_models(rotation) if rotation.mode == "turns" else (),
    )


def _restriction(r: schema.Restriction) -> oncall.Restriction:
    windows: tuple[oncall.TimeWindow, ...] = ()
    if r.start is not None and r.end is not None:
        windows = (oncall.TimeWindow(r.start, r.end),)
    if not r.days:
        return oncall.Restriction(windows=windows)
    days = frozenset(oncall.Weekday(_WEEKDAYS[d]) for d in r.days)
    return oncall.Restriction(windows=windows, weekdays=days)


def restriction_models(rotation: schema.Rotation) -> tuple[oncall.Restriction, ...]:
    """All of a rotation's restrictions: it is on call in any of them (their union)."""
    return tuple(_restriction(r) for r in rotation.restrictions)


def starved(rotation: schema.Rotation) -> list[str]:
    """Members a restricted rotation on the clock never gives an hour."""
    restrictions = restriction_models(rotation)
    if not restrictions:
        return []
    return oncall.starved_members(rotation_model(rotation), restrictions)


# Built once per (playbook, schedule): "who is on call" then costs only arithmetic.
_LAYER_CACHE: dict[tuple[int, str], tuple[schema.Playbook, str, tuple[oncall.Layer, ...]]] = {}


def _layers(playbook: schema.Playbook, schedule_id: str) -> tuple[str, tuple[oncall.Layer, ...]]:
    cached = _LAYER_CACHE.get((id(playbook), schedule_id))
    if cached is not None and cached[0] is playbook:
        return cached[1], cached[2]
    name, layers = _build_layers(playbook, schedule_id)
    if len(_LAYER_CACHE) > 4096:
        _LAYER_CACHE.clear()
    _LAYER_CACHE[(id(playbook), schedule_id)] = (playbook, name, layers)
    return name, layers


def _build_layers(
    playbook: schema.Playbook, schedule_id: str
) -> tuple[str, tuple[oncall.Layer, ...]]:
    rotations = {r.id: r for r in playbook.on_call.rotations}
    schedule = next(s for s in playbook.on_call.schedules if s.id == schedule_id)
    layers = tuple(
        oncall.Layer(
            id=f"{schedule.id}:{layer.rotation}",
            rotation=rotation_model(rotations[layer.rotation]),
            priority=layer.priority,
            restriction=restriction_models(rotations[layer.rotation]) or None,
        )
        for layer in schedule.layers
    )
    return schedule.name, layers


def schedule_model(
    playbook: schema.Playbook, schedule_id: str, overrides: Iterable[oncall.Override] = ()
) -> oncall.Schedule:
    name, layers = _layers(playbook, schedule_id)
    return oncall.Schedule(id=schedule_id, name=name, layers=layers, overrides=tuple(overrides))


def on_call(
    playbook: schema.Playbook,
    schedule_id: str,
    instant: datetime,
    overrides: Iterable[oncall.Override] = (),
) -> str | None:
    answer = oncall.who_is_on_call(schedule_model(playbook, schedule_id, overrides), instant)
    return answer.user if answer else None


def roster_warnings(playbook: schema.Playbook) -> list[str]:
    """Restricted rotations on the clock that give someone no hours, naming them."""
    warnings = []
    for rotation in playbook.on_call.rotations:
        nobody = starved(rotation)
        if nobody:
            warnings.append(
                f"rotation '{rotation.id}': {', '.join(nobody)} never get an on-call hour "
                "with these restrictions (their turns always fall outside them); "
                "set `mode: turns` so everyone takes turns"
            )
    return warnings
