"""Durations and percentages as people read them in reports and the CLI."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """'-', '4.5 min', '27 min', '3.6 h' or '2.3 d'."""
    if seconds is None:
        return "-"
    if seconds >= 48 * 3600:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 60:.1f} min"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"
