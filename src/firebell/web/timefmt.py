"""Times for people: '3 min ago', '14:05', '2026-11-26 14:05 UTC' (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from firebell.incidents.sla_clocks import human


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    delta = now - then
    if delta.total_seconds() < 0:
        return f"in {human(-delta)}"
    if delta.total_seconds() < 10:
        return "just now"
    return f"{human(delta)} ago"


def utc(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    # isoformat is YYYY-MM-DD HH:MM+00:00 here; several times cheaper than strftime,
    # which the incidents page calls ~350 times
    return moment.astimezone(UTC).isoformat(" ", "minutes")[:16] + " UTC"


def hm(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(UTC).isoformat(timespec="seconds")[11:19]
