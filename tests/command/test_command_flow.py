"""Incident command with a controlled clock: war room, checkpoints, management
reminders, SLA breaches and each escalation criterion, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.store.models import TimelineEvent

from .slack_server import FakeSlack

ALICE = Principal("primary-engineer-1", "responder")


def kinds(runtime: Runtime, number: int) -> list[str]:
    with runtime.sessions() as s:
        return list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == number)
                .order_by(TimelineEvent.id)
            )
        )


def events(runtime: Runtime, number: int, kind: str) -> list[dict[str, Any]]:
    with runtime.sessions() as s:
        return [
            e.details
            for e in s.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == number, TimelineEvent.kind == kind
                )
            )
        ]


def run(runtime: Runtime, clock: FrozenClock, minutes: float) -> None:
    """Move time in one-minute steps, letting the engine do its work at each."""
    for _ in range(int(minutes)):
        clock.advance(timedelta(minutes=1))
        while runtime.engine.run_once():
            pass


def declare(runtime: Runtime, severity: str, **kw: Any) -> int:
    number = runtime.incidents.declare(
        Declaration(
            title=kw.pop("title", "Checkout errors"),
            severity=severity,
            service=kw.pop("service", "platform"),
            **kw,
        ),
        ALICE,
    ).id
    while runtime.engine.run_once():  # the engine picks new work up within a poll
        pass
    return number


def test_p0_opens_the_war_room_with_channel_topic_and_invites(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P0", commander="primary-engineer-1")
    runtime.engine.run_once()
    [created] = slack.named("conversations.create")
    assert created.body["name"] == "incident-20261126-1200-p0"
    assert created.auth == "Bearer xoxb-test"
    [topic] = slack.named("conversations.setTopic")
    assert topic.body["topic"].startswith("[P0] Checkout errors | IC: @")
    assert "| War Room: https://" in topic.body["topic"]
    [invite] = slack.named("conversations.invite")
    invited = set(invite.body["users"].split(","))
    assert len(invited) >= 3  # on-call, team lead, DevOps lead
    opened = events(runtime, number, "war_room_opened")[0]
    assert opened["channel_id"] == slack.channels["incident-20261126-1200-p0"]
    assert "devops-lead" in opened["invited"]


def test_p1_war_room_waits_for_30_minutes(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P1")
    run(runtime, clock, 29)
    assert "war_room_requested" not in kinds(runtime, number)
    run(runtime, clock, 1)
    assert events(runtime, number, "war_room_requested")[0]["rule"] == "p1-over-30m"
    assert "war_room_opened" in kinds(runtime, number)


def test_p1_with_two_teams_opens_at_once(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P1")
    runtime.command.assign_role(number, "ic", "primary-engineer-1", ALICE)
    assert "war_room_requested" not in kinds(runtime, number)
    runtime.command.assign_role(number, "sme", "dba", ALICE)
    assert events(runtime, number, "war_room_requested")[0]["rule"] == "p1-multiple-teams"


def test_checkpoints_every_15_minutes_and_management_reminder_after_an_hour(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P0", commander="primary-engineer-1")
    runtime.command.assign_role(number, "tech_lead", "primary-engineer-2", ALICE)
    runtime.command.assign_role(number, "comms_lead", "team-lead-1", ALICE)
    runtime.command.assign_role(number, "scribe", "devops-lead", ALICE)
    runtime.incidents.acknowledge(number, ALICE)
    run(runtime, clock, 45)
    assert kinds(runtime, number).count("checkpoint") == 3
    posts = [
        c
        for c in slack.named("chat.postMessage")
        if "15-minute checkpoint" in c.body.get("text", "")
    ]
    assert len(posts) == 3 and all(p.body["channel"].startswith("C") for p in posts)
    assert "management_reminder" not in kinds(runtime, number)
    run(runtime, clock, 15)
    [reminder] = events(runtime, number, "management_reminder")
    assert "Incident has lasted 1 hour" in reminder["text"]
    runtime.incidents.resolve(number, ALICE)
    run(runtime, clock, 30)
    assert kinds(runtime, number).count("checkpoint") == 4  # none after resolution


def test_missing_required_roles_are_reminded(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P1", commander="primary-engineer-1")
    runtime.incidents.acknowledge(number, ALICE)
    run(runtime, clock, 15)
    [missing] = events(runtime, number, "roles_missing")
    assert missing["missing"] == ["tech_lead", "comms_lead"]
    roles = runtime.command.roles(number, ALICE)
    assert roles["missing"] == ["tech_lead", "comms_lead"]


def reachable(doc: Any) -> None:
    """Pages that reach nobody (no channel for any rule) move on at once, like 'nobody on
    call': let people be reached by the configured chat channel, so levels are paged."""
    rules = doc["on_call"]["default_notification_rules"]
    rules.append({"method": "chat", "delay": "0m", "urgency": "any"})


def test_response_sla_breach_tells_the_next_level(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime(reachable)
    late = declare(runtime, "P1")
    on_time = declare(runtime, "P1", title="Other")
    run(runtime, clock, 3)
    runtime.incidents.acknowledge(on_time, ALICE)
    run(runtime, clock, 12)
    [breach] = events(runtime, late, "sla_breached")
    assert breach["clock"] == "response" and breach["due_at"].startswith("2026-11-26T12:15")
    # still unacknowledged: the escalation policy itself is paging the next levels
    assert events(runtime, late, "sla_escalated")[0]["note"] == "the escalation policy is paging"
    assert "sla_breached" not in kinds(runtime, on_time)


def test_resolution_sla_breach_is_recorded_even_after_ack(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime(reachable)
    number = declare(runtime, "P0", commander="primary-engineer-1")
    runtime.incidents.acknowledge(number, ALICE)
    run(runtime, clock, 61)
    breaches = events(runtime, number, "sla_breached")
    assert [b["clock"] for b in breaches] == ["resolution"]
    # acknowledged, so no policy is paging: the level after the last one paged (level 2
    # of a P0, paged at once) hears about the breach: the team lead
    [escalated] = events(runtime, number, "sla_escalated")
    assert escalated["level"] == 3
    paged = [e for e in events(runtime, number, "level_notified") if e["level"] == 3]
    assert paged and paged[-1]["level_name"] == "Team Lead"


def test_p2_persisting_15_minutes_proposes_p1(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P2", commander="primary-engineer-1")
    run(runtime, clock, 15)
    [proposal] = events(runtime, number, "escalation_proposed")
    assert proposal["rule"] == "p1-persists-over-15m" and proposal["to"] == "P1"
    assert runtime.incidents.get(number, ALICE).severity == "P2"


def test_p2_persisting_15_minutes_performs_when_the_playbook_says_so(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    def perform(doc: Any) -> None:
        for criterion in doc["escalation"]["criteria"]:
            if criterion["id"] == "p1-persists-over-15m":
                criterion["action"] = "perform"

    runtime = make_runtime(perform)
    number = declare(runtime, "P2")
    run(runtime, clock, 15)
    assert runtime.incidents.get(number, ALICE).severity == "P1"
    [change] = events(runtime, number, "severity_changed")
    assert change["reason"].startswith("rule p1-persists-over-15m")


def test_outage_longer_than_5_minutes_becomes_p0(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P1")
    runtime.comms.set_facts(number, {"outage": True}, ALICE)
    run(runtime, clock, 4)
    assert runtime.incidents.get(number, ALICE).severity == "P1"
    run(runtime, clock, 1)
    assert runtime.incidents.get(number, ALICE).severity == "P0"
    assert events(runtime, number, "severity_changed")[0]["reason"].startswith(
        "rule p0-outage-over-5m"
    )
    # becoming P0 opens the war room (P0 always)
    assert "war_room_requested" in kinds(runtime, number)


def test_confirmed_data_breach_is_p0_at_once(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P2")
    runtime.comms.set_facts(number, {"data_breach": "confirmed"}, ALICE)
    assert runtime.incidents.get(number, ALICE).severity == "P0"


def test_related_p2s_are_linked_and_escalated(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    first = declare(runtime, "P2", title="Slow search")
    other_service = declare(runtime, "P2", title="Slow DB", service="database")
    clock.advance(timedelta(minutes=10))
    second = declare(runtime, "P2", title="Search timeouts")
    assert runtime.incidents.get(second, ALICE).severity == "P1"
    [link] = events(runtime, second, "incidents_linked")
    assert link["related"] == [first] and link["rule"] == "p1-related-p2s"
    assert events(runtime, first, "incidents_linked")[0]["related"] == [second]
    assert "incidents_linked" not in kinds(runtime, other_service)


def test_linking_never_crosses_the_private_boundary(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = make_runtime()
    public = declare(runtime, "P2", title="Slow search")
    clock.advance(timedelta(minutes=10))
    private = declare(runtime, "P2", title="Odd logins on search", private=True)
    # A private incident is not escalated because of a public one...
    assert runtime.incidents.get(private, ALICE).severity == "P2"
    assert "incidents_linked" not in kinds(runtime, private)
    # ...and its number never lands on the public incident's timeline.
    assert "incidents_linked" not in kinds(runtime, public)
    clock.advance(timedelta(minutes=1))
    later = declare(runtime, "P2", title="Search timeouts")
    assert events(runtime, later, "incidents_linked")[0]["related"] == [public]
    assert events(runtime, public, "incidents_linked") == [
        {"rule": "p1-related-p2s", "related": [later]}
    ]
    assert "incidents_linked" not in kinds(runtime, private)


def test_a_private_incident_gets_a_private_channel_without_its_title(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P1", title="Leaked signing key", private=True)
    runtime.engine.run_once()
    [created] = slack.named("conversations.create")
    assert created.body["is_private"] is True
    assert created.body["name"].startswith("security-incident-")
    [topic] = slack.named("conversations.setTopic")
    assert "Leaked" not in topic.body["topic"]
    assert topic.body["topic"].startswith(f"[P1] Private incident INC-{number}")
    opened = events(runtime, number, "war_room_opened")[0]
    assert "Leaked" not in opened["topic"]


def test_the_playbook_may_put_the_title_in_a_private_topic(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    def edit(doc: Any) -> None:
        doc["war_room"]["private_topic"] = "{{ incident.title }} (private)"

    runtime = make_runtime(edit)
    declare(runtime, "P1", title="Leaked signing key", private=True)
    runtime.engine.run_once()
    [created] = slack.named("conversations.create")
    assert created.body["is_private"] is True
    [topic] = slack.named("conversations.setTopic")
    assert topic.body["topic"] == "Leaked signing key (private)"


def test_a_public_incident_channel_stays_public(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    runtime = make_runtime()
    declare(runtime, "P0", title="Checkout down")
    runtime.engine.run_once()
    [created] = slack.named("conversations.create")
    assert created.body["is_private"] is False
