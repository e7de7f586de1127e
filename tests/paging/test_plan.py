"""What a level pages is a pure plan (who, which methods, who cannot be reached): tested
here without a database, then applied end to end. A level that reaches nobody is handled
like 'nobody on call': timeline, next level at once, admins told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from firebell.clock import FrozenClock
from firebell.paging.policy import Level, Reach, plan_level
from firebell.playbook.schema import ContactMethodRule, Person
from firebell.runtime import Runtime
from paging._support import (
    HttpReceiver,
    add_policy,
    declare,
    events,
    kinds,
    level,
    make_runtime,
    paged_levels,
    playbook_document,
)

WEBHOOK = [ContactMethodRule(method="webhook")]


def person(pid: str, **kw: str) -> Person:
    return Person(id=pid, name=pid.title(), **kw)


def lvl(strategy: str = "notify_all") -> Level:
    return Level(0, "first", timedelta(0), (("person", "x"),), strategy)


def test_a_person_with_an_address_and_a_channel_is_planned() -> None:
    reach = Reach({"ann": person("ann", webhook_url="http://h/ann")}, WEBHOOK, {"webhook"})
    plan = plan_level(lvl(), ["ann", "ann"], 0, reach, "high")
    assert plan.reaches_anyone and plan.people == ("ann",)
    assert plan.deliveries == ["ann/webhook"] and plan.unreachable == ()
    assert plan.pages[0].address == "http://h/ann"


def test_no_channel_configured_reaches_nobody() -> None:
    """A fresh install: people have addresses, but no channel is configured."""
    reach = Reach({"ann": person("ann", webhook_url="http://h/ann")}, WEBHOOK, set())
    plan = plan_level(lvl(), ["ann"], 0, reach, "high")
    assert not plan.reaches_anyone and plan.people == ("ann",)
    assert plan.unreachable == ("ann: no webhook channel configured",)


def test_a_person_removed_from_the_directory_reaches_nobody() -> None:
    """A snapshot names someone the playbook no longer has."""
    reach = Reach({}, WEBHOOK, {"webhook"})
    plan = plan_level(lvl(), ["gone"], 0, reach, "high")
    assert not plan.reaches_anyone and plan.unreachable == ("gone: not in the directory",)


def test_no_address_for_the_method_reaches_nobody_but_one_reachable_person_does() -> None:
    people = {"ann": person("ann"), "bob": person("bob", webhook_url="http://h/bob")}
    reach = Reach(people, WEBHOOK, {"webhook"})
    assert not plan_level(lvl(), ["ann"], 0, reach, "low").reaches_anyone
    plan = plan_level(lvl(), ["ann", "bob"], 0, reach, "low")
    assert plan.reaches_anyone and plan.deliveries == ["bob/webhook"]
    assert plan.unreachable == ("ann has no webhook address",)


def test_rules_for_another_urgency_do_not_count() -> None:
    rules = [ContactMethodRule(method="webhook", urgency="high")]
    reach = Reach({"ann": person("ann", webhook_url="http://h/ann")}, rules, {"webhook"})
    assert plan_level(lvl(), ["ann"], 0, reach, "high").reaches_anyone
    assert not plan_level(lvl(), ["ann"], 0, reach, "low").reaches_anyone


def test_round_robin_takes_the_next_in_turn() -> None:
    people = {p: person(p, webhook_url=f"http://h/{p}") for p in ("a", "b", "c")}
    reach = Reach(people, WEBHOOK, {"webhook"})
    plan = plan_level(lvl("round_robin"), ["a", "b", "c"], 4, reach, "high")
    assert plan.people == ("b",) and plan.position == 5


# --- applied: the level that reaches nobody ---------------------------------------------------


@pytest.fixture
def rt(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Runtime]:
    doc = playbook_document(receiver.url)
    for p in doc["people"]:
        if p["id"] == "dba":
            p["notification_rules"] = [{"method": "sms", "delay": "0m", "urgency": "any"}]
            p["phone"] = "+15555550100"  # an address, but no SMS channel is configured
    doc["on_call"]["admins"] = ["cto"]
    add_policy(
        doc,
        "unreachable",
        [level("dba", "0m", "dba"), level("backstop", "5m", "team-lead-2"),
         level("last", "5m", "devops-lead")],
    )  # fmt: skip
    runtime = make_runtime(tmp_path, database_url, clock, doc)
    yield runtime
    runtime.close()


def test_a_level_nobody_can_receive_moves_on_at_once_and_tells_the_admins(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    start = clock.now()
    number = declare(rt, "P1", service="svc-unreachable")
    rt.engine.run_once()
    assert sorted(receiver.people()) == ["cto", "team-lead-2"]  # at once, not after 5 min
    admin = next(h for h in receiver.delivered() if h.person == "cto")
    assert admin.json["purpose"] == "admin" and admin.json["level"] == 1
    assert kinds(rt, number, "nobody_on_call", "level_paged") == ["nobody_on_call", "level_paged"]
    [(_, nobody)] = events(rt, number, "nobody_on_call")
    assert nobody["people"] == ["dba"]
    assert nobody["skipped"] == ["dba: no sms channel configured"]
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [2]

    clock.set(start + timedelta(minutes=4, seconds=59))
    rt.engine.run_once()
    assert "devops-lead" not in receiver.people()
    clock.set(start + timedelta(minutes=5))
    rt.engine.run_once()
    assert receiver.people()[-1] == "devops-lead"
