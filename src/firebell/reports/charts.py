"""Small SVG charts made on the server: grouped bars and lines with target lines.

No JavaScript and nothing fetched: each chart is one self-contained <svg> with a <title>
and <desc> for screen readers, text in `currentColor` (so it follows light and dark),
and series colours that read on both backgrounds. A `viewBox` lets it shrink to a phone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 56
# Okabe-Ito colour-blind-safe palette, readable on white and on near-black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class TargetLine:
    name: str
    value: float


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude: float = 10.0 ** (len(str(int(value))) - 1)
    # Steps whose quarters are round numbers: the grid has four intervals.
    for step in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _label_room(labels: Sequence[str]) -> float:
    """Extra height for x labels too long to sit side by side (they are slanted)."""
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    longest = max((len(label) for label in labels), default=0)
    return 0.0 if longest * 7 < slot else longest * 6.2


def _frame(title: str, desc: str, unit: str, top: float, labels: Sequence[str]) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    room = _label_room(labels)
    height = HEIGHT + room
    # Ids unique per chart: several charts share one HTML page.
    ident = "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="currentColor" stroke-opacity="0.2"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" transform="rotate(-90 14 {TOP + plot_h / 2:.1f})"'
        f' text-anchor="middle">{escape(unit)}</text>'
    )
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        y = TOP + plot_h + 16
        slant = f' transform="rotate(-60 {x:.1f} {y})"' if room else ""
        anchor = "end" if room else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}"{slant}>{escape(label)}</text>'
        )
    return parts


def _legend(names: Sequence[tuple[str, str, bool]], room: float = 0.0) -> list[str]:
    parts, x = [], LEFT
    y = HEIGHT + room - 14
    for name, colour, dashed in names:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        parts.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        parts.append(f'<text x="{x + 22}" y="{y}">{escape(name)}</text>')
        x += 30 + 7 * len(name)
    return parts


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    rows = []
    for s in series:
        values = ", ".join(
            f"{label} {_fmt(v) if v is not None else 'none'}"
            for label, v in zip(labels, s.values, strict=False)
        )
        rows.append(f"{s.name} ({unit}): {values}")
    return "; ".join(rows)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "count"
) -> str:
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    parts = _frame(title, _describe(labels, series, unit), unit, top, labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        for i, value in enumerate(s.values):
            if value is None:
                continue
            h = plot_h * value / top
            x = LEFT + slot * i + slot * 0.1 + bar * k
            y = TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(s.name)} {escape(labels[i])}: '
                f"{_fmt(value)}</title></rect>"
            )
            if value:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                    f'font-size="10">{_fmt(value)}</text>'
                )
    if len(series) > 1:
        legend = [(s.name, PALETTE[k % len(PALETTE)], False) for k, s in enumerate(series)]
        parts += _legend(legend, _label_room(labels))
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str,
    targets: Sequence[TargetLine] = (),
) -> str:
    values = [v for s in series for v in s.values if v is not None]
    values += [t.value for t in targets]
    top = _nice_max(max(values, default=0))
    desc = _describe(labels, series, unit) + "".join(
        f"; target {t.name}: {_fmt(t.value)} {unit}" for t in targets
    )
    parts = _frame(title, desc, unit, top, labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * min(value, top) / top

    for k, target in enumerate(targets):
        colour = PALETTE[k % len(PALETTE)]
        y = y_of(target.value)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (LEFT + slot * (i + 0.5), y_of(v), v) for i, v in enumerate(s.values) if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
            )
        for x, y, v in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(s.name)}: {_fmt(v)} {escape(unit)}</title></circle>"
            )
    legend = [(s.name, PALETTE[k % len(PALETTE)], False) for k, s in enumerate(series)]
    legend += [(f"target {t.name}", PALETTE[k % len(PALETTE)], True) for k, t in enumerate(targets)]
    parts += _legend(legend, _label_room(labels))
    parts.append("</svg>")
    return "\n".join(parts)
