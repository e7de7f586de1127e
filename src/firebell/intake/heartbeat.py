"""Heartbeat monitors: a sender pings every ``interval``; silence past ``interval + grace`` pages.

The decision is a pure function of the last ping, the monitor's settings, ``now`` and whether
its alert is open. The engine calls it from two places — when a ping arrives (after storing
``last_ping_at = now``) and from a timer due at :func:`heartbeat_deadline` — and acts on the
answer:

==================  ===============  =================  ==========================================
last ping           overdue?         alert open?        action
==================  ===============  =================  ==========================================
never               —                no / yes           ``none``: a monitor arms on its first ping
known               ``now >= due``   no                 ``open``: the one alert for this silence
known               ``now >= due``   yes                ``none``: already open; never a second one
known               ``now < due``    yes                ``resolve``: a ping came after the alert
known               ``now < due``    no                 ``none``: healthy
==================  ===============  =================  ==========================================

where ``due = last_ping_at + interval + grace``. "Overdue" is inclusive: at exactly ``due``
the ping is late. Evaluating again with the same inputs gives the same answer, so a timer fired
twice or a ping racing the timer cannot open two alerts as long as the caller stores the action's
effect (alert open or not) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

HeartbeatAction = Literal["open", "resolve", "none"]


def heartbeat_deadline(
    last_ping_at: datetime | None, interval: timedelta, grace: timedelta
) -> datetime | None:
    """When the monitor becomes overdue, or None while it has never been pinged."""
    _check(interval, grace)
    if last_ping_at is None:
        return None
    _aware(last_ping_at, "last_ping_at")
    return last_ping_at + interval + grace


def heartbeat_state(
    last_ping_at: datetime | None,
    interval: timedelta,
    grace: timedelta,
    now: datetime,
    alert_open: bool,
) -> HeartbeatAction:
    """What to do now; see the module docstring for the table."""
    _aware(now, "now")
    due = heartbeat_deadline(last_ping_at, interval, grace)
    if due is None:
        return "none"
    overdue = now >= due
    if overdue and not alert_open:
        return "open"
    if not overdue and alert_open:
        return "resolve"
    return "none"


def _check(interval: timedelta, grace: timedelta) -> None:
    if interval <= timedelta(0):
        raise ValueError("heartbeat interval must be positive")
    if grace < timedelta(0):
        raise ValueError("heartbeat grace must not be negative")


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
