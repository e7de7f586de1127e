"""A schedule over a window, row by row, for people to look at: each layer on its own,
the overrides, and the final schedule with its gaps."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from firebell import oncall
from firebell.schedules.service import Schedules


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    who: str  # a person id; '' for a gap
    ref: str = ""  # the override id, for overrides


@dataclass(frozen=True)
class Row:
    kind: str  # layer | overrides | final | gaps
    label: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class ScheduleTimeline:
    schedule: str
    since: datetime
    until: datetime
    rows: tuple[Row, ...]
    final: oncall.FinalSchedule


def schedule_timeline(
    schedules: Schedules, schedule_id: str, since: datetime, until: datetime
) -> ScheduleTimeline:
    final = schedules.final(schedule_id, since, until)  # checks the id and the window
    with schedules.sessions() as session:
        model = schedules.model(session, schedule_id)
    rows = [
        Row(
            "layer",
            f"Layer {number}",
            tuple(
                Span(e.start, e.end, e.user)
                for e in oncall.final_schedule(
                    replace(model, layers=(layer,), overrides=()), since, until
                ).entries
            ),
        )
        for number, layer in enumerate(sorted(model.layers, key=lambda layer: layer.priority), 1)
    ]
    rows.append(
        Row(
            "overrides",
            "Overrides",
            tuple(
                Span(max(o.start, since), min(o.end, until), o.user, o.id)
                for o in model.overrides
                if o.end > since and o.start < until
            ),
        )
    )
    rows.append(Row("final", "Final", tuple(Span(e.start, e.end, e.user) for e in final.entries)))
    return ScheduleTimeline(schedule_id, since, until, tuple(rows), final)
