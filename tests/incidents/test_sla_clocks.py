"""SLA clocks: a pure function of the playbook's SLA table, timestamps and now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.incidents.sla_clocks import IncidentTimes, describe, human, sla_clocks
from firebell.playbook.loader import load_playbook

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday


@pytest.fixture(scope="module")
def playbook():  # type: ignore[no-untyped-def]
    return load_playbook(None).playbook


def by_name(clocks):  # type: ignore[no-untyped-def]
    return {c.name: c for c in clocks}


def test_p1_running_clocks_come_from_the_sla_table(playbook) -> None:  # type: ignore[no-untyped-def]
    row = next(r for r in playbook.sla if r.severity == "P1")
    now = T0 + timedelta(minutes=5)
    clocks = by_name(sla_clocks(playbook, IncidentTimes("P1", "investigating", T0), now))
    assert clocks["response"].due == row.response_time.after(T0)
    assert clocks["response"].remaining == row.response_time.after(T0) - now
    assert not clocks["response"].breached
    assert clocks["resolution"].due == row.resolution_time.after(T0)
    cadence = playbook.severity("P1").update_cadence
    assert clocks["next_update"].due == cadence.after(T0)
    assert describe(clocks["response"]) == f"due in {human(clocks['response'].remaining)}"


def test_unacknowledged_past_due_is_breached(playbook) -> None:  # type: ignore[no-untyped-def]
    response = next(r for r in playbook.sla if r.severity == "P0").response_time
    now = response.after(T0) + timedelta(minutes=2)
    clock = by_name(sla_clocks(playbook, IncidentTimes("P0", "investigating", T0), now))["response"]
    assert clock.breached
    assert clock.remaining == timedelta(minutes=-2)
    assert describe(clock) == "breached 2 min ago"


def test_acknowledgement_stops_the_response_clock(playbook) -> None:  # type: ignore[no-untyped-def]
    response = next(r for r in playbook.sla if r.severity == "P1").response_time
    late = response.after(T0) + timedelta(seconds=1)
    early = T0 + timedelta(minutes=1)
    later = T0 + timedelta(days=3)
    met = sla_clocks(playbook, IncidentTimes("P1", "identified", T0, acknowledged_at=early), later)
    missed = sla_clocks(
        playbook, IncidentTimes("P1", "identified", T0, acknowledged_at=late), later
    )
    assert by_name(met)["response"].breached is False
    assert describe(by_name(met)["response"]) == "met"
    assert by_name(missed)["response"].breached is True
    assert describe(by_name(missed)["response"]) == "missed"


def test_next_update_runs_from_the_last_update_and_stops_when_resolved(playbook) -> None:  # type: ignore[no-untyped-def]
    cadence = playbook.severity("P1").update_cadence
    sent = T0 + timedelta(minutes=20)
    times = IncidentTimes("P1", "monitoring", T0, last_update_at=sent)
    assert by_name(sla_clocks(playbook, times, sent))["next_update"].due == cadence.after(sent)
    resolved = IncidentTimes("P1", "resolved", T0, resolved_at=sent)
    clocks = by_name(sla_clocks(playbook, resolved, sent))
    assert "next_update" not in clocks
    assert clocks["resolution"].stopped_at == sent
    assert clocks["resolution"].remaining is None


def test_business_day_response_skips_the_weekend(playbook) -> None:  # type: ignore[no-untyped-def]
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    clock = by_name(sla_clocks(playbook, IncidentTimes("P3", "investigating", friday), friday))
    row = next(r for r in playbook.sla if r.severity == "P3")
    assert clock["response"].due == row.response_time.after(friday)
    if row.response_time.business_days:
        assert clock["response"].due.weekday() == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5 s"),
        (180, "3 min"),
        (7500, "2 h 5 min"),
        (7200, "2 h"),
        (3 * 86400 + 3600 * 4, "3 d 4 h"),
    ],
)
def test_human_spans(seconds: int, text: str) -> None:
    assert human(timedelta(seconds=seconds)) == text
