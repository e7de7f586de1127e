"""War-room activation and escalation criteria as pure decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from firebell.command import rules
from firebell.playbook.loader import load_playbook

PB = load_playbook().playbook
NOBODY = rules.Involvement()


@pytest.mark.parametrize(
    ("severity", "security", "minutes", "involved", "expected"),
    [
        ("P0", False, 0, NOBODY, "p0-always"),
        ("P1", False, 0, NOBODY, None),
        ("P1", False, 29, NOBODY, None),
        ("P1", False, 30, NOBODY, "p1-over-30m"),
        (
            "P1",
            False,
            0,
            rules.Involvement(frozenset({"platform", "database"})),
            "p1-multiple-teams",
        ),
        ("P1", True, 0, NOBODY, "security-p0-p1"),
        ("P2", True, 0, NOBODY, None),
        (
            "P2",
            False,
            0,
            rules.Involvement(frozenset({"management"}), executive=True),
            "executive-involved",
        ),
        ("P3", False, 600, NOBODY, None),
    ],
)
def test_war_room_activation(
    severity: str, security: bool, minutes: int, involved: rules.Involvement, expected: str | None
) -> None:
    got = rules.war_room_rule(PB, severity, security, timedelta(minutes=minutes), involved)
    assert got == expected


def test_involvement_finds_teams_and_executives() -> None:
    people = [p.id for p in PB.people]
    vp = "vp-engineering"
    assert rules.involvement(PB, [vp]).executive
    engineers = rules.involvement(PB, [people[0]])
    assert not engineers.executive and len(engineers.teams) == 1


def test_fact_criteria_respect_after_and_severity() -> None:
    facts = {"outage": True}
    assert rules.fact_criteria(PB, "P1", facts, timedelta(minutes=4)) == []
    later = rules.fact_criteria_later(PB, "P1", facts, timedelta(minutes=4))
    assert [(c.id, w) for c, w in later] == [("p0-outage-over-5m", timedelta(minutes=1))]
    [hit] = rules.fact_criteria(PB, "P1", facts, timedelta(minutes=5))
    assert hit.id == "p0-outage-over-5m" and hit.action == "perform"
    assert rules.fact_criteria(PB, "P0", facts, timedelta(hours=1)) == []  # already P0
    breach = rules.fact_criteria(PB, "P2", {"data_breach": "confirmed"}, timedelta(0))
    assert [c.id for c in breach] == ["p0-data-breach"]
    assert rules.fact_criteria(PB, "P2", {"data_breach": "no"}, timedelta(0)) == []


def test_sla_clocks_follow_the_table() -> None:
    from datetime import UTC, datetime

    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    clocks = {c.clock: c.due for c in rules.sla_clocks(PB, "P0", friday)}
    assert clocks == {
        "response": friday + timedelta(minutes=5),
        "resolution": friday + timedelta(hours=1),
    }
    p3 = {c.clock: c.due for c in rules.sla_clocks(PB, "P3", friday)}
    assert p3["response"] == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # next business day
    assert p3["resolution"] == friday + timedelta(weeks=1)


def test_related_incidents_stay_on_their_side_of_the_private_boundary() -> None:
    from dataclasses import dataclass, field

    from firebell.command.rules import related_incidents

    @dataclass
    class Row:
        id: int
        service: str | None
        private: bool = False
        facts: dict[str, Any] = field(default_factory=dict)

    me = Row(1, "search")
    others = [Row(2, "search"), Row(3, "search", private=True), Row(4, "db")]
    assert [o.id for o in related_incidents(me, others)] == [2]
    secret = Row(5, "search", private=True)
    assert [o.id for o in related_incidents(secret, others)] == [3]
    by_root = Row(6, None, facts={"root_cause": "dns"})
    assert related_incidents(by_root, [Row(7, "x", facts={"root_cause": "dns"})])[0].id == 7
    assert related_incidents(Row(8, None, facts={"root_cause": ""}), [Row(9, None)]) == []
