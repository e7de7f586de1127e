from __future__ import annotations

from typing import Any

import pytest

from channels._support import Answer, Receiver, outgoing
from firebell.channels._http import RateLimited
from firebell.channels.base import DeliveryError
from firebell.channels.slack_api import (
    SlackApi,
    SlackApiError,
    SlackChatChannel,
    normalise_channel_name,
)

TOKEN = "xoxb-1111-2222-sekrit"


def ok(**fields: Any) -> Answer:
    return Answer(200, {"ok": True, **fields})


def error(code: str) -> Answer:
    return Answer(200, {"ok": False, "error": code})


@pytest.fixture
def api(receiver: Receiver) -> SlackApi:
    return SlackApi(TOKEN, base_url=receiver.url + "/", timeout=5)


def assert_call(receiver: Receiver, index: int, method: str, body: dict[str, Any]) -> None:
    request = receiver.requests[index]
    assert (request.method, request.path) == ("POST", f"/api/{method}")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == body


def test_post_message_sends_channel_text_blocks_and_returns_ts(
    receiver: Receiver, api: SlackApi
) -> None:
    receiver.script("/api/chat.postMessage", ok(channel="C1", ts="1700000000.000100"))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    assert api.post_message("C1", "hi", blocks) == "1700000000.000100"
    assert_call(receiver, 0, "chat.postMessage", {"channel": "C1", "text": "hi", "blocks": blocks})


def test_post_message_without_blocks_sends_none(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/chat.postMessage", ok(ts="1.2"))
    api.post_message("#ops", "hi")
    assert_call(receiver, 0, "chat.postMessage", {"channel": "#ops", "text": "hi"})


def test_create_channel_normalises_the_name_and_returns_the_id(
    receiver: Receiver, api: SlackApi
) -> None:
    receiver.script(
        "/api/conversations.create", ok(channel={"id": "C0NEW", "name": "inc-42-checkout-down"})
    )
    assert api.create_channel("#INC-42: Checkout.down", is_private=True) == "C0NEW"
    assert_call(
        receiver,
        0,
        "conversations.create",
        {"name": "inc-42-checkout-down", "is_private": True},
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("inc-42", "inc-42"),
        ("#Inc 42", "inc-42"),
        ("  ##war.room  ", "war-room"),
        ("inc_7 -- db . slow", "inc_7-db-slow"),
        ("Zürich Störung", "zürich-störung"),
        ("x" * 100, "x" * 80),
        ("a" * 79 + " b", "a" * 79),
    ],
)
def test_channel_names_follow_slack_rules(raw: str, expected: str) -> None:
    assert normalise_channel_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "#", " . . ", "###"])
def test_unusable_channel_names_are_refused_before_any_call(
    receiver: Receiver, api: SlackApi, raw: str
) -> None:
    with pytest.raises(ValueError, match="channel name"):
        api.create_channel(raw)
    assert receiver.requests == []


def test_create_channel_name_taken_returns_the_existing_channel(
    receiver: Receiver, api: SlackApi
) -> None:
    receiver.script("/api/conversations.create", error("name_taken"))
    receiver.script(
        "/api/conversations.list",
        ok(
            channels=[{"id": "C0A", "name": "general"}],
            response_metadata={"next_cursor": "page2"},
        ),
        ok(channels=[{"id": "C0B", "name": "inc-42"}], response_metadata={"next_cursor": ""}),
    )
    assert api.create_channel("inc-42") == "C0B"

    lists = receiver.requests[1:]
    assert [r.path for r in lists] == ["/api/conversations.list"] * 2
    for request in lists:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert lists[0].form == {
        "types": "public_channel,private_channel",
        "exclude_archived": "true",
        "limit": "1000",
    }
    assert lists[1].form["cursor"] == "page2"


def test_create_channel_name_taken_by_an_invisible_channel_fails_clearly(
    receiver: Receiver, api: SlackApi
) -> None:
    receiver.script("/api/conversations.create", error("name_taken"))
    receiver.script("/api/conversations.list", ok(channels=[], response_metadata={}))
    with pytest.raises(SlackApiError) as caught:
        api.create_channel("inc-42")
    assert caught.value.error == "name_taken"
    assert caught.value.transient is False
    assert "archived or not visible" in str(caught.value)


def test_set_topic(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/conversations.setTopic", ok(channel={"id": "C1"}))
    api.set_topic("C1", "P1: checkout down | IC @alice")
    assert_call(
        receiver,
        0,
        "conversations.setTopic",
        {"channel": "C1", "topic": "P1: checkout down | IC @alice"},
    )


def test_invite_joins_user_ids_with_commas(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/conversations.invite", ok(channel={"id": "C1"}))
    api.invite("C1", ["U1", "U2", "U3"])
    assert_call(receiver, 0, "conversations.invite", {"channel": "C1", "users": "U1,U2,U3"})


def test_invite_nobody_makes_no_call(receiver: Receiver, api: SlackApi) -> None:
    api.invite("C1", [])
    assert receiver.requests == []


def test_invite_already_in_channel_invites_one_by_one(receiver: Receiver, api: SlackApi) -> None:
    receiver.script(
        "/api/conversations.invite",
        error("already_in_channel"),
        error("already_in_channel"),
        ok(),
    )
    api.invite("C1", ["U1", "U2"])
    assert [r.json["users"] for r in receiver.requests] == ["U1,U2", "U1", "U2"]


@pytest.mark.parametrize("code", ["channel_not_found", "not_in_channel", "invalid_auth"])
def test_ok_false_is_permanent(receiver: Receiver, api: SlackApi, code: str) -> None:
    receiver.script("/api/chat.postMessage", error(code))
    with pytest.raises(SlackApiError) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is False
    assert caught.value.error == code
    assert str(caught.value) == f"Slack chat.postMessage: {code}"


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "service_unavailable"])
def test_slack_server_side_errors_are_transient(
    receiver: Receiver, api: SlackApi, code: str
) -> None:
    receiver.script("/api/chat.postMessage", error(code))
    with pytest.raises(SlackApiError) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is True


def test_http_429_is_transient_and_keeps_retry_after(receiver: Receiver, api: SlackApi) -> None:
    receiver.script(
        "/api/chat.postMessage",
        Answer(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"}),
    )
    with pytest.raises(RateLimited) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is True
    assert caught.value.retry_after == 30
    assert str(caught.value) == "HTTP 429 rate limited (retry after 30s)"


def test_ok_false_ratelimited_is_transient(receiver: Receiver, api: SlackApi) -> None:
    receiver.script(
        "/api/chat.postMessage",
        Answer(200, {"ok": False, "error": "ratelimited"}, {"Retry-After": "5"}),
    )
    with pytest.raises(RateLimited) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is True
    assert caught.value.retry_after == 5


def test_a_non_json_answer_is_transient(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/chat.postMessage", Answer(200, "<html>proxy</html>"))
    with pytest.raises(DeliveryError) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is True


def test_token_never_in_errors_or_repr(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/chat.postMessage", Answer(401, f"bad token {TOKEN}"))
    with pytest.raises(DeliveryError) as caught:
        api.post_message("C1", "hi")
    assert caught.value.transient is False
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)
    assert TOKEN not in repr(api)


def test_chat_channel_posts_the_body_to_the_address(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/chat.postMessage", ok(ts="1.0"))
    channel = SlackChatChannel(api)
    assert channel.method == "chat"
    channel.send(outgoing("U024BE7LH", body="Incident #7: ack <now> & go"))
    assert_call(
        receiver,
        0,
        "chat.postMessage",
        {"channel": "U024BE7LH", "text": "Incident #7: ack &lt;now&gt; &amp; go"},
    )


def test_chat_channel_failure_is_a_delivery_error(receiver: Receiver, api: SlackApi) -> None:
    receiver.script("/api/chat.postMessage", error("channel_not_found"))
    with pytest.raises(DeliveryError) as caught:
        SlackChatChannel(api).send(outgoing("C404"))
    assert caught.value.transient is False
