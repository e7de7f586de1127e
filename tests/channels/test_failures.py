"""Failure mapping, the same for every adapter: 5xx and 429 and network trouble are transient
(retried with backoff), other 4xx permanent. Each adapter is driven against the real receiver."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from channels._support import Answer, Receiver, outgoing
from firebell.channels._http import RateLimited
from firebell.channels.base import Channel, DeliveryError, Outgoing
from firebell.channels.mattermost import MattermostChannel
from firebell.channels.ntfy import NtfyChannel
from firebell.channels.slack_api import SlackApi, SlackChatChannel
from firebell.channels.slack_webhook import SlackWebhookChannel
from firebell.channels.teams import TeamsChannel
from firebell.channels.twilio import TwilioSmsChannel, TwilioVoiceChannel

SECRETS = ("xoxb-sekrit", "twilio-sekrit", "ntfy-sekrit", "HOOKSEKRIT")
SID = "AC42"

# name -> (build(base url, timeout) -> channel, path it posts to, address for the message)
Adapter = tuple[Callable[[str, float], Channel], str, Callable[[str], str]]
ADAPTERS: dict[str, Adapter] = {
    "slack": (
        lambda base, t: SlackWebhookChannel(timeout=t),
        "/services/T/B/HOOKSEKRIT",
        lambda base: base + "/services/T/B/HOOKSEKRIT",
    ),
    "chat": (
        lambda base, t: SlackChatChannel(SlackApi("xoxb-sekrit", base_url=base, timeout=t)),
        "/api/chat.postMessage",
        lambda base: "C1",
    ),
    "teams": (
        lambda base, t: TeamsChannel(timeout=t),
        "/flow",
        lambda base: base + "/flow?sig=HOOKSEKRIT",
    ),
    "mattermost": (
        lambda base, t: MattermostChannel(timeout=t),
        "/hooks/HOOKSEKRIT",
        lambda base: base + "/hooks/HOOKSEKRIT",
    ),
    "sms": (
        lambda base, t: TwilioSmsChannel(SID, "twilio-sekrit", "+1500", base_url=base, timeout=t),
        f"/2010-04-01/Accounts/{SID}/Messages.json",
        lambda base: "+1555",
    ),
    "voice": (
        lambda base, t: TwilioVoiceChannel(SID, "twilio-sekrit", "+1500", base_url=base, timeout=t),
        f"/2010-04-01/Accounts/{SID}/Calls.json",
        lambda base: "+1555",
    ),
    "push": (
        lambda base, t: NtfyChannel(base_url=base, token="ntfy-sekrit", timeout=t),
        "/oncall",
        lambda base: "oncall",
    ),
}
SUCCESS = {
    "slack": Answer(200, "ok"),
    "chat": Answer(200, {"ok": True, "ts": "1.0"}),
    "teams": Answer(202, b""),
    "mattermost": Answer(200, "ok"),
    "sms": Answer(201, {"sid": "SM1"}),
    "voice": Answer(201, {"sid": "CA1"}),
    "push": Answer(200, {"id": "x", "event": "message"}),
}
names = pytest.mark.parametrize("name", sorted(ADAPTERS))


def setup(receiver_url: str, name: str, timeout: float = 5.0) -> tuple[Channel, Outgoing]:
    build, _, address = ADAPTERS[name]
    channel = build(receiver_url, timeout)
    assert channel.method == name
    return channel, outgoing(address(receiver_url))


def assert_no_secret(error: DeliveryError) -> None:
    for secret in SECRETS:
        assert secret not in str(error)


@names
def test_success(receiver: Receiver, name: str) -> None:
    receiver.script(ADAPTERS[name][1], SUCCESS[name])
    channel, message = setup(receiver.url, name)
    channel.send(message)
    assert receiver.only.path.split("?")[0] == ADAPTERS[name][1]


@names
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient(receiver: Receiver, name: str, status: int) -> None:
    receiver.script(ADAPTERS[name][1], Answer(status, "upstream trouble"))
    channel, message = setup(receiver.url, name)
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert caught.value.transient is True
    assert str(caught.value).startswith(f"HTTP {status}")
    assert_no_secret(caught.value)


@names
@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_is_permanent(receiver: Receiver, name: str, status: int) -> None:
    receiver.script(ADAPTERS[name][1], Answer(status, "invalid_payload"))
    channel, message = setup(receiver.url, name)
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert caught.value.transient is False
    assert str(caught.value) == f"HTTP {status}: invalid_payload"


@names
def test_redirect_is_not_followed_and_permanent(receiver: Receiver, name: str) -> None:
    receiver.script(
        ADAPTERS[name][1], Answer(301, b"", headers={"Location": receiver.url + "/elsewhere"})
    )
    channel, message = setup(receiver.url, name)
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert caught.value.transient is False
    assert len(receiver.requests) == 1


@names
def test_429_is_transient_with_retry_after(receiver: Receiver, name: str) -> None:
    receiver.script(ADAPTERS[name][1], Answer(429, "slow down", headers={"Retry-After": "12"}))
    channel, message = setup(receiver.url, name)
    with pytest.raises(RateLimited) as caught:
        channel.send(message)
    assert caught.value.transient is True
    assert caught.value.retry_after == 12


@names
def test_refused_connection_is_transient(dead_url: str, name: str) -> None:
    channel, message = setup(dead_url, name)
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert caught.value.transient is True
    assert str(caught.value).startswith("ConnectError")
    assert_no_secret(caught.value)


@names
def test_timeout_is_transient_and_prompt(receiver: Receiver, name: str) -> None:
    receiver.script(ADAPTERS[name][1], Answer(200, "late", delay=1.5))
    channel, message = setup(receiver.url, name, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        channel.send(message)
    assert time.monotonic() - started < 1.0
    assert caught.value.transient is True
    assert "Timeout" in str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("address", ["not a url", "ftp://example.test/hook", ""])
def test_unusable_webhook_address_is_permanent(address: str) -> None:
    for channel in (SlackWebhookChannel(), TeamsChannel(), MattermostChannel()):
        with pytest.raises(DeliveryError) as caught:
            channel.send(outgoing(address))
        assert caught.value.transient is False


def test_an_error_page_echoing_the_webhook_url_is_redacted(receiver: Receiver) -> None:
    url = receiver.url + "/services/T/B/HOOKSEKRIT"
    receiver.script("/services/T/B/HOOKSEKRIT", Answer(400, f"bad request to {url}"))
    with pytest.raises(DeliveryError) as caught:
        SlackWebhookChannel().send(outgoing(url))
    assert str(caught.value) == "HTTP 400: bad request to ***"
