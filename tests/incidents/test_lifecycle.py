from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.errors import Conflict, Invalid
from firebell.incidents import lifecycle
from firebell.incidents.lifecycle import STATUSES, IncidentState

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def state(**kw: object) -> IncidentState:
    base: dict[str, object] = {"number": 7, "status": "investigating", "severity": "P2"}
    base.update(kw)
    return IncidentState(**base)  # type: ignore[arg-type]


def test_acknowledge_stamps_time_and_actor() -> None:
    change = lifecycle.acknowledge(state(commander="bob"), "alice", NOW)
    assert change.kind == "acknowledged"
    assert change.fields == {"acknowledged_at": NOW, "acknowledged_by": "alice"}


def test_the_acknowledging_on_call_commands_an_incident_without_commander() -> None:
    change = lifecycle.acknowledge(state(), "alice", NOW)
    assert change.fields["commander"] == "alice"
    assert change.details == {"commander": "alice"}


def test_acknowledge_twice_is_a_conflict_naming_the_first_ack() -> None:
    with pytest.raises(Conflict, match="already acknowledged at 2026-11-26T11:00"):
        lifecycle.acknowledge(state(acknowledged_at=NOW - timedelta(hours=1)), "bob", NOW)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_cannot_acknowledge_a_finished_incident(status: str) -> None:
    with pytest.raises(Conflict, match=status):
        lifecycle.acknowledge(state(status=status), "alice", NOW)


def test_monitoring_stamps_mitigated_once() -> None:
    first = lifecycle.set_status(state(), "monitoring", NOW)
    assert first.fields["mitigated_at"] == NOW
    again = lifecycle.set_status(
        state(status="identified", mitigated_at=NOW - timedelta(minutes=5)), "monitoring", NOW
    )
    assert "mitigated_at" not in again.fields


def test_resolve_stamps_resolved_and_mitigated() -> None:
    change = lifecycle.resolve(state(), NOW)
    assert change.kind == "resolved"
    assert change.fields["resolved_at"] == NOW
    assert change.fields["mitigated_at"] == NOW


def test_resolve_a_closed_incident_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="already closed"):
        lifecycle.resolve(state(status="closed"), NOW)


def test_close_needs_resolved_first() -> None:
    with pytest.raises(Conflict, match="must be resolved before"):
        lifecycle.set_status(state(status="monitoring"), "closed", NOW)
    change = lifecycle.set_status(state(status="resolved"), "closed", NOW)
    assert change.kind == "closed" and change.fields["closed_at"] == NOW


def test_reopen_clears_resolved_at() -> None:
    change = lifecycle.set_status(state(status="resolved", resolved_at=NOW), "investigating", NOW)
    assert change.kind == "reopened"
    assert change.fields["resolved_at"] is None


def test_resolved_cannot_jump_to_identified() -> None:
    with pytest.raises(Conflict, match="closed or reopened"):
        lifecycle.set_status(state(status="resolved"), "identified", NOW)


def test_unknown_status_names_the_field() -> None:
    with pytest.raises(Invalid) as info:
        lifecycle.set_status(state(), "fixing", NOW)
    assert info.value.problems[0].field == "status"


# The transition table from the lifecycle's docstring, written out as the specification.
ALLOWED = {
    "investigating": {"identified", "monitoring", "resolved"},
    "identified": {"investigating", "monitoring", "resolved"},
    "monitoring": {"investigating", "identified", "resolved"},
    "resolved": {"closed", "investigating"},
    "closed": set(),
}


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_transitions_follow_the_table(current: str, target: str) -> None:
    s = state(status=current)
    if target in ALLOWED[current]:
        assert lifecycle.set_status(s, target, NOW).fields["status"] == target
    else:
        with pytest.raises(Conflict):
            lifecycle.set_status(s, target, NOW)


def test_severity_direction_and_reason() -> None:
    up = lifecycle.change_severity(state(severity="P2"), "P1", "broader impact")
    assert up.details == {
        "from": "P2",
        "to": "P1",
        "direction": "escalated",
        "reason": "broader impact",
    }
    down = lifecycle.change_severity(state(severity="P1"), "P3", "contained")
    assert down.details["direction"] == "downgraded"


def test_severity_needs_a_reason_and_a_change() -> None:
    with pytest.raises(Invalid) as info:
        lifecycle.change_severity(state(), "P1", "  ")
    assert info.value.problems[0].field == "reason"
    with pytest.raises(Conflict, match="already P2"):
        lifecycle.change_severity(state(), "P2", "same")


def test_commander_and_note() -> None:
    change = lifecycle.assign_commander(state(commander="bob"), "alice")
    assert change.details == {"from": "bob", "to": "alice"}
    with pytest.raises(Invalid):
        lifecycle.add_note("   ")
    assert lifecycle.add_note("checked pods").details == {"text": "checked pods"}
