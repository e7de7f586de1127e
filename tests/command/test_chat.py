"""The Slack-compatible chat endpoint: signatures, replays, verbs, and a P0 end to end."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.auth.principal import SYSTEM, Principal
from firebell.chat.signature import sign
from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration, IncidentFilter
from firebell.runtime import Runtime
from firebell.store.models import Message, TimelineEvent

from .conftest import SIGNING_SECRET
from .slack_server import FakeSlack

URL = "/api/v1/chat/slack/commands"
TRIGGERS = itertools.count(1)


def form(
    text: str, user: str = "U0000", name: str = "alice", channel: str = "C-general", **extra: str
) -> bytes:
    return urlencode(
        {
            "command": "/incident",
            "text": text,
            "user_id": user,
            "user_name": name,
            "channel_id": channel,
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/none",
            # as Slack does: every request has its own trigger id
            "trigger_id": f"{next(TRIGGERS)}.1.abc",
            **extra,
        }
    ).encode()


def signed(body: bytes, ts: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.fixture
def chat(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> Iterator[tuple[TestClient, Runtime]]:
    def reachable(doc: Any) -> None:  # everyone has a webhook on the local server
        for person in doc["people"]:
            person["webhook_url"] = f"{slack.url}/hooks/{person['id']}"
            person["notification_rules"] = [{"method": "webhook", "delay": "0m"}]

    runtime = make_runtime(reachable)
    with TestClient(create_app(runtime)) as client:
        yield client, runtime


def post(client: TestClient, text: str, **kw: str) -> dict[str, Any]:
    body = form(text, **kw)
    r = client.post(URL, content=body, headers=signed(body))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_signatures_stale_and_replayed_requests_are_refused(
    chat: tuple[TestClient, Runtime],
) -> None:
    client, _ = chat
    body = form("help")
    good = signed(body)
    assert client.post(URL, content=body, headers=good).status_code == 200
    replay = client.post(URL, content=body, headers=good)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]
    forged = signed(body, secret="not-the-secret")
    r = client.post(URL, content=body, headers=forged)
    assert r.status_code == 401 and "signature" in r.json()["detail"]
    stale = signed(body, ts=int(time.time()) - 301)
    r = client.post(URL, content=body, headers=stale)
    assert r.status_code == 401 and "older than 5 minutes" in r.json()["detail"]
    tampered = form("declare everything is fine --sev P3")
    r = client.post(URL, content=tampered, headers=signed(body))
    assert r.status_code == 401
    missing = client.post(URL, content=body, headers={"Content-Type": "text/plain"})
    assert missing.status_code == 401


def test_verbs_with_ephemeral_and_in_channel_replies(chat: tuple[TestClient, Runtime]) -> None:
    client, runtime = chat
    declared = post(client, "declare Payments failing --sev P2")
    assert declared["response_type"] == "in_channel" and "Declared #1 [P2]" in declared["text"]
    assert post(client, "#1 ack")["text"] == "#1 acknowledged by @primary-engineer-1"
    again = post(client, "#1 ack")
    assert again["response_type"] == "ephemeral" and "already acknowledged" in again["text"]
    task = post(client, "#1 task @bob restart the payments pods")
    assert task["text"].startswith("@bob, please restart the payments pods. Confirm?")
    assert post(client, "#1 role tech_lead @dba")["response_type"] == "in_channel"
    assert "is now monitoring" in post(client, "#1 status monitoring")["text"]
    bad = post(client, "#1 status sideways")
    assert bad["response_type"] == "ephemeral" and "status" in bad["text"]
    unknown = post(client, "dance")
    assert unknown["response_type"] == "ephemeral" and "Usage" in unknown["text"]
    outside = post(client, "ack")
    assert "not an incident channel" in outside["text"]
    with runtime.sessions() as s:
        kinds = list(s.scalars(select(TimelineEvent.kind).where(TimelineEvent.incident_id == 1)))
    for kind in ("declared", "acknowledged", "task_assigned", "role_assigned", "status_changed"):
        assert kind in kinds


def test_p0_declared_in_chat_end_to_end(
    chat: tuple[TestClient, Runtime], slack: FakeSlack, clock: FrozenClock
) -> None:
    client, runtime = chat
    reply = post(client, "declare Checkout is down --sev P0", user="U0000")
    assert reply["response_type"] == "in_channel" and "Declared #1 [P0]" in reply["text"]
    assert "initial notification" in reply["text"]
    while runtime.engine.run_once():
        pass
    # the war room: channel created, topic set, invites sent (checked on the local server)
    [created] = slack.named("conversations.create")
    assert created.body["name"] == "incident-20261126-1200-p0"
    channel = slack.channels["incident-20261126-1200-p0"]
    [topic] = slack.named("conversations.setTopic")
    assert topic.body == {"channel": channel, "topic": topic.body["topic"]}
    assert topic.body["topic"].startswith("[P0] Checkout is down | IC: @")
    [invite] = slack.named("conversations.invite")
    assert invite.body["channel"] == channel and invite.body["users"]
    # the on-call was paged (levels 1 and 2 of a P0) and the initial notification went out
    with runtime.sessions() as s:
        pages = s.scalars(select(Message).where(Message.purpose == "page")).all()
        notices = s.scalars(select(Message).where(Message.purpose == "notify")).all()
    primary = runtime.schedules.oncalls(clock.now(), clock.now(), "aurigraph-primary")[0].user
    secondary = runtime.schedules.oncalls(clock.now(), clock.now(), "aurigraph-secondary")[0].user
    assert {p.person for p in pages if p.status == "sent"} == {primary, secondary}, [
        (p.person, p.method, p.status, p.last_error) for p in pages
    ]
    assert {c.method for c in slack.calls} >= {f"/hooks/{primary}", f"/hooks/{secondary}"}
    assert any(n.address == "#incident-all-hands" and n.status == "sent" for n in notices)
    posted = [c.body["channel"] for c in slack.named("chat.postMessage")]
    assert "#incident-all-hands" in posted
    # in the war room channel, commands find their incident without a number
    assert "acknowledged" in post(client, "ack", channel=channel)["text"]
    # three checkpoints over 45 simulated minutes
    for _ in range(45):
        clock.advance(timedelta(minutes=1))
        while runtime.engine.run_once():
            pass
    checkpoints = [
        c
        for c in slack.named("chat.postMessage")
        if c.body["channel"] == channel and "checkpoint" in c.body["text"]
    ]
    assert len(checkpoints) == 3
    # resolving sends the resolution template
    done = post(client, "resolve rolled back the deploy", channel=channel)
    assert "resolved" in done["text"] and "resolution notification:" in done["text"], done
    while runtime.engine.run_once():
        pass
    resolution = [
        c
        for c in slack.named("chat.postMessage")
        if c.body.get("text", "").startswith("INCIDENT RESOLVED")
    ]
    assert resolution, [c.body.get("text", "")[:40] for c in slack.named("chat.postMessage")]


def test_interaction_buttons(chat: tuple[TestClient, Runtime]) -> None:
    import json

    client, runtime = chat
    post(client, "declare Queue stuck --sev P2")
    payload = {
        "type": "block_actions",
        "user": {"id": "U0000", "username": "alice"},
        "channel": {"id": "C-general"},
        "actions": [{"action_id": "ack", "value": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    r = client.post("/api/v1/chat/slack/interactions", content=body, headers=signed(body))
    assert r.status_code == 200 and "acknowledged" in r.json()["text"]
    assert runtime.incidents.get(1, SYSTEM).acknowledged_at is not None
    garbage = urlencode({"payload": "{not json"}).encode()
    bad = client.post("/api/v1/chat/slack/interactions", content=garbage, headers=signed(garbage))
    assert bad.status_code == 400
    forged = client.post(
        "/api/v1/chat/slack/interactions", content=body, headers=signed(body, secret="wrong")
    )
    assert forged.status_code == 401


def test_only_people_known_by_chat_user_id_may_act(chat: tuple[TestClient, Runtime]) -> None:
    client, runtime = chat
    # a display name matching a person proves nothing; the user id must be in the playbook
    r = post(client, "declare I am the CTO --sev P0", user="U-stranger", name="cto")
    assert r["response_type"] == "ephemeral" and "does not know you" in r["text"]
    assert runtime.incidents.search(IncidentFilter(), SYSTEM).total == 0


def test_chat_commands_respect_private_membership(chat: tuple[TestClient, Runtime]) -> None:
    client, runtime = chat
    people = runtime.playbook.playbook.people
    security = {"security-lead", "security-lead-backup", "vp-engineering", "cto"}
    index, outsider = next((n, p.id) for n, p in enumerate(people) if p.id not in security)
    user = f"U{index:04d}"
    number = runtime.incidents.declare(
        Declaration(title="Leaked key", severity="P3", private=True), Principal("root", "admin")
    ).id
    refused = post(client, f"#{number} ack", user=user)
    assert f"incident #{number} does not exist" in refused["text"]
    assert "Leaked key" not in str(refused)
    runtime.command.assign_role(number, "scribe", outsider, SYSTEM)
    accepted = post(client, f"#{number} ack", user=user)
    assert "acknowledged" in accepted["text"], accepted
