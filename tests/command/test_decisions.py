"""Decisions folded from timeline events, and the console's way of typing options (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from firebell.command.decisions import decisions, options_from
from firebell.incidents.detail import EventRow

AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_decisions_come_from_decision_events_only() -> None:
    events = [
        EventRow(1, AT, "alice", "note", {"text": "looking"}),
        EventRow(
            2,
            AT,
            "alice",
            "decision",
            {"options": ["roll back", "fix forward"], "choice": "roll back", "made_by": "ic-1"},
        ),
        EventRow(3, AT, "bob", "decision", {"options": ["a", "b"], "choice": "b", "made_by": None}),
    ]
    found = decisions(events)
    assert [(d.event_id, d.choice, d.made_by) for d in found] == [
        (2, "roll back", "ic-1"),
        (3, "b", "bob"),  # nobody named: whoever recorded it
    ]
    assert found[0].alternatives == ("fix forward",) and found[0].rationale is None


def test_options_are_the_choice_and_the_other_lines() -> None:
    assert options_from(" roll back ", "fix forward\n\n  wait \nroll back") == [
        "roll back",
        "fix forward",
        "wait",
    ]
    assert options_from("roll back", "") == ["roll back"]
