"""Geometry for the schedule timeline, drawn as SVG on the server (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from firebell.schedules.timeline import ScheduleTimeline

WIDTH = 1000.0  # the SVG's own units; it scales to the page
LABEL = 110.0
ROW = 34.0
TOP = 22.0
# Colours that keep white text readable (WCAG AA) in both themes.
PALETTE = ("#1f4fb8", "#7a3db8", "#0f766e", "#9a3412", "#374151", "#a21caf", "#155e75", "#4d7c0f")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    label: str
    title: str
    colour: str
    gap: bool = False


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    rows: list[tuple[float, str]]
    bars: list[Bar]
    ticks: list[Tick]


def colour(person: str) -> str:
    return PALETTE[int(hashlib.sha256(person.encode()).hexdigest(), 16) % len(PALETTE)]


def chart(timeline: ScheduleTimeline, names: dict[str, str]) -> Chart:
    span = (timeline.until - timeline.since).total_seconds()
    usable = WIDTH - LABEL

    def x(moment: datetime) -> float:
        return LABEL + usable * (moment - timeline.since).total_seconds() / span

    rows: list[tuple[float, str]] = []
    bars: list[Bar] = []
    for index, row in enumerate(timeline.rows):
        y = TOP + index * ROW
        rows.append((y, row.label))
        for s in row.spans:
            name = names.get(s.who, s.who)
            title = f"{name}: {s.start:%a %d %b %H:%M} to {s.end:%a %d %b %H:%M} UTC"
            bars.append(Bar(x(s.start), y, x(s.end) - x(s.start), name, title, colour(s.who)))
    gap_y = TOP + (len(timeline.rows) - 1) * ROW
    for g in timeline.final.gaps:
        title = f"Nobody on call: {g.start:%a %d %b %H:%M} to {g.end:%a %d %b %H:%M} UTC"
        bars.append(Bar(x(g.start), gap_y, x(g.end) - x(g.start), "gap", title, "", True))
    ticks: list[Tick] = []
    day = timeline.since.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < timeline.until:
        if day >= timeline.since:
            ticks.append(Tick(x(day), f"{day:%a %d}"))
        day += timedelta(days=1)
    return Chart(WIDTH, TOP + len(timeline.rows) * ROW + 6, rows, bars, ticks)
