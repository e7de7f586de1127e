"""Pure post-mortem decisions: reviewers per severity, reminders, meeting proposal, the
draft's pre-filling (with and without the seed's template structure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.errors import Conflict, Invalid
from firebell.playbook.loader import load_playbook
from firebell.postmortems import rules
from firebell.postmortems.draft import DraftFacts, KeyEvent, key_event, render_draft

PB = load_playbook(None).playbook
T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday


def test_reviewers_by_severity() -> None:
    assert rules.reviewers_for(PB, "P0") == [
        "Technical Lead",
        "Operations Manager",
        "VP Engineering",
    ]
    assert rules.reviewers_for(PB, "P1") == ["Technical Lead", "Operations Manager"]
    assert rules.required(PB, "P0") and rules.required(PB, "P1")
    assert not rules.required(PB, "P2") and not rules.required(PB, "P3")
    assert rules.due_at(PB, "P1", T) == T + timedelta(weeks=1)
    assert rules.due_at(PB, "P2", T) is None


def test_reminders_and_transitions() -> None:
    assert rules.reminder_times(T, T + timedelta(hours=48)) == [
        T + timedelta(hours=24),
        T + timedelta(hours=36),
    ]
    assert rules.reminder_times(T, T) == []
    rules.check_transition("draft", "in_review")
    rules.check_transition("in_review", "draft")
    with pytest.raises(Conflict):
        rules.check_transition("draft", "published")
    with pytest.raises(Conflict):
        rules.check_transition("published", "draft")
    with pytest.raises(Invalid):
        rules.check_transition("draft", "lost")


def test_meeting_proposal() -> None:
    # Thursday + 3 days = Sunday -> Monday 15:00; in New York that is 20:00 UTC.
    assert rules.propose_meeting(T, "UTC") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert rules.propose_meeting(T, "America/New_York") == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert rules.propose_meeting(monday, "UTC") == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    rules.check_meeting(T, T + timedelta(days=4))
    for bad in (T + timedelta(days=1), T + timedelta(days=7)):
        with pytest.raises(Invalid):
            rules.check_meeting(T, bad)


def test_key_events() -> None:
    event = key_event("severity_changed", {"from": "P2", "to": "P1", "reason": "spread"}, T)
    assert event == KeyEvent(T, "Severity P2 → P1: spread")
    assert key_event("note", {"text": "x"}, T) is None
    assert key_event("level_paged", {}, T) == KeyEvent(T, "Paged")  # a missing detail


def test_draft_fills_the_seed_template_and_a_bare_one() -> None:
    facts = DraftFacts(
        number=7,
        title="API | slow",
        severity="P1",
        service="api",
        author="alice",
        reviewers=["Technical Lead"],
        declared_at=T,
        detected_at=T,
        impact_started_at=T - timedelta(minutes=12),
        acknowledged_at=T + timedelta(minutes=3),
        resolved_at=T + timedelta(hours=2, minutes=5),
        people=[("alice", "ic")],
        events=[KeyEvent(T, "Incident declared (P1)")],
        alerts=["am: HighLatency"],
        decisions=[],
        tasks=["@bob: restart (done)"],
    )
    seed = render_draft(PB.postmortems.template, facts)
    assert seed.startswith("# Post-Mortem: API | slow")
    assert "**Author:** alice" in seed and "**Status:** Draft" in seed
    assert "**Total Duration:** 2 hours 17 minutes" in seed  # from the impact start
    assert "| 2026-11-26 12:00 | Incident declared (P1) |" in seed
    assert "- **Incident:** #7 API \\| slow" in seed  # escaped inside Markdown
    assert "- **Time to acknowledge:** 3 minutes" in seed
    assert "- @bob: restart (done)" in seed and "- none recorded" in seed  # no decisions
    assert seed.index("## What firebell knows") < seed.index("## Executive Summary")

    bare = render_draft("# Our own template\n\nWrite here.\n", facts)
    assert "## What firebell knows" in bare and "## Timeline" in bare
    assert "| 2026-11-26 12:00 | Incident declared (P1) |" in bare
