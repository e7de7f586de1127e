from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.intake import heartbeat_deadline, heartbeat_state

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=5)
GRACE = timedelta(minutes=1)
DUE = T0 + INTERVAL + GRACE


def state(now: datetime, alert_open: bool, last: datetime | None = T0) -> str:
    return heartbeat_state(last, INTERVAL, GRACE, now, alert_open)


def test_deadline() -> None:
    assert heartbeat_deadline(T0, INTERVAL, GRACE) == DUE
    assert heartbeat_deadline(None, INTERVAL, GRACE) is None


def test_healthy_within_interval_and_grace() -> None:
    assert state(T0, False) == "none"
    assert state(T0 + INTERVAL, False) == "none"  # late but within grace
    assert state(DUE - timedelta(microseconds=1), False) == "none"


def test_opens_once_when_overdue() -> None:
    assert state(DUE, False) == "open"  # inclusive
    assert state(DUE + timedelta(hours=3), False) == "open"
    assert state(DUE, True) == "none"  # already open: never a second alert
    assert state(DUE + timedelta(days=1), True) == "none"


def test_next_ping_resolves() -> None:
    ping = DUE + timedelta(minutes=10)
    assert heartbeat_state(ping, INTERVAL, GRACE, ping, True) == "resolve"
    assert heartbeat_state(ping, INTERVAL, GRACE, ping, False) == "none"


def test_never_pinged_monitor_is_not_armed() -> None:
    assert state(T0 + timedelta(days=30), False, last=None) == "none"
    assert state(T0 + timedelta(days=30), True, last=None) == "none"


def test_zero_grace_is_allowed() -> None:
    assert heartbeat_state(T0, INTERVAL, timedelta(0), T0 + INTERVAL, False) == "open"


@pytest.mark.parametrize(
    ("interval", "grace", "now", "last"),
    [
        (timedelta(0), GRACE, T0, T0),
        (INTERVAL, timedelta(seconds=-1), T0, T0),
        (INTERVAL, GRACE, datetime(2024, 1, 1), T0),
        (INTERVAL, GRACE, T0, datetime(2024, 1, 1)),
    ],
)
def test_bad_arguments(
    interval: timedelta, grace: timedelta, now: datetime, last: datetime
) -> None:
    with pytest.raises(ValueError):
        heartbeat_state(last, interval, grace, now, False)


@given(
    last=st.datetimes(timezones=st.just(UTC)),
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    alert_open=st.booleans(),
)
def test_decision_is_consistent(last: datetime, gap: timedelta, alert_open: bool) -> None:
    """Opening needs silence past the deadline; resolving needs a ping within it; never both."""
    try:
        now = last + gap
        due = last + INTERVAL + GRACE
    except OverflowError:
        return
    action = heartbeat_state(last, INTERVAL, GRACE, now, alert_open)
    if action == "open":
        assert now >= due and not alert_open
    elif action == "resolve":
        assert now < due and alert_open
    else:
        assert (now >= due) == alert_open
