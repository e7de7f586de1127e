from __future__ import annotations

import base64

import pytest

from channels._support import Receiver, outgoing
from firebell.channels.base import DeliveryError
from firebell.channels.ntfy import NtfyChannel


def test_publishes_body_with_title_priority_tags_click_and_token(receiver: Receiver) -> None:
    channel = NtfyChannel(base_url=receiver.url + "/", token="tk_sekrit")
    channel.send(
        outgoing(
            "oncall-alice",
            subject="[P1] Checkout down",
            body="Ack: firebell ack 7",
            url="https://firebell.example/incidents/7",
        )
    )
    request = receiver.only
    assert (request.method, request.path) == ("POST", "/oncall-alice")
    assert request.body == b"Ack: firebell ack 7"
    assert request.headers["title"] == "[P1] Checkout down"
    assert request.headers["priority"] == "5"
    assert request.headers["tags"] == "rotating_light,P1,page"
    assert request.headers["click"] == "https://firebell.example/incidents/7"
    assert request.headers["authorization"] == "Bearer tk_sekrit"


@pytest.mark.parametrize(
    ("purpose", "severity", "priority"),
    [
        ("page", "P0", "5"),
        ("page", "P1", "5"),
        ("page", "P2", "3"),
        ("page", "P3", "3"),
        ("handoff", "P1", "3"),
        ("update", "P0", "3"),
    ],
)
def test_priority_is_max_only_for_p0_p1_pages(
    receiver: Receiver, purpose: str, severity: str, priority: str
) -> None:
    NtfyChannel(base_url=receiver.url).send(outgoing("t", purpose=purpose, severity=severity))
    assert receiver.only.headers["priority"] == priority


def test_without_token_or_url_those_headers_are_absent(receiver: Receiver) -> None:
    NtfyChannel(base_url=receiver.url).send(outgoing("t", purpose="handoff", severity="P2"))
    headers = receiver.only.headers
    assert "authorization" not in headers
    assert "click" not in headers
    assert headers["tags"] == "bell,P2,handoff"


def test_non_ascii_title_is_rfc2047_encoded_and_body_is_utf8(receiver: Receiver) -> None:
    title = "🔥 Störung — Zahlungen"
    NtfyChannel(base_url=receiver.url).send(outgoing("t", subject=title, body="Grüße ✓"))
    request = receiver.only
    encoded = request.headers["title"]
    assert encoded.startswith("=?UTF-8?B?")
    assert encoded.endswith("?=")
    assert base64.b64decode(encoded[len("=?UTF-8?B?") : -2]).decode() == title
    assert request.body.decode("utf-8") == "Grüße ✓"


def test_control_characters_cannot_split_headers(receiver: Receiver) -> None:
    NtfyChannel(base_url=receiver.url).send(outgoing("t", subject="a\r\nX-Evil: 1"))
    assert receiver.only.headers["title"] == "a X-Evil: 1"
    assert "x-evil" not in receiver.only.headers


@pytest.mark.parametrize("topic", ["", "../admin", "a/b", "x" * 65, "with space"])
def test_bad_topics_are_permanent_failures_without_a_request(
    receiver: Receiver, topic: str
) -> None:
    with pytest.raises(DeliveryError) as caught:
        NtfyChannel(base_url=receiver.url).send(outgoing(topic))
    assert caught.value.transient is False
    assert receiver.requests == []
