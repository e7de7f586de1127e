"""The war-room topic follows commander changes (open room: Slack conversations.setTopic)."""

from __future__ import annotations

from collections.abc import Callable

from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from tests.command.slack_server import FakeSlack
from tests.command.test_command_flow import declare, events


def test_topic_follows_the_commander(
    make_runtime: Callable[..., Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    runtime = make_runtime()
    number = declare(runtime, "P0", commander="primary-engineer-1")
    runtime.engine.run_once()
    [first] = slack.named("conversations.setTopic")
    assert "IC: @example-primary-1" in first.body["topic"]
    runtime.incidents.assign_commander(
        number, "team-lead-1", Principal("primary-engineer-1", "responder")
    )
    while runtime.engine.run_once():
        pass
    topics = slack.named("conversations.setTopic")
    assert len(topics) == 2
    assert topics[1].body["channel"] == first.body["channel"]
    assert "IC: @example-team-lead-1" in topics[1].body["topic"]
    assert "| War Room: https://" in topics[1].body["topic"]
    [changed] = events(runtime, number, "war_room_topic_changed")
    assert changed["topic"] == topics[1].body["topic"]
    assert not slack.named("chat.postMessage") or all(
        "IC:" not in c.body.get("text", "") for c in slack.named("chat.postMessage")
    )
