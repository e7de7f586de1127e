from __future__ import annotations

import pytest

from channels._support import Answer, Receiver, outgoing
from firebell.channels.base import DeliveryError
from firebell.channels.slack_webhook import SlackWebhookChannel

HOOK = "/services/T000/B000/XXXXsecretXXXX"


def test_posts_text_and_blocks_to_the_webhook_url(receiver: Receiver) -> None:
    receiver.script(HOOK, Answer(200, "ok"))
    SlackWebhookChannel().send(
        outgoing(receiver.url + HOOK, subject="[P1] Checkout <down>", body="Ack: *now* & then")
    )

    request = receiver.only
    assert (request.method, request.path) == ("POST", HOOK)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "firebell"
    assert request.json == {
        "text": "[P1] Checkout &lt;down&gt;\nAck: *now* &amp; then",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "[P1] Checkout <down>", "emoji": True},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "Ack: *now* &amp; then"}},
        ],
    }


def test_long_subject_and_body_are_clipped_to_slack_limits(receiver: Receiver) -> None:
    SlackWebhookChannel().send(outgoing(receiver.url + HOOK, subject="s" * 500, body="b" * 5000))
    header, section = receiver.only.json["blocks"]
    assert len(header["text"]["text"]) == 150
    assert header["text"]["text"].endswith("…")
    assert len(section["text"]["text"]) == 3000


def test_empty_body_leaves_the_section_out(receiver: Receiver) -> None:
    SlackWebhookChannel().send(outgoing(receiver.url + HOOK, body=""))
    assert [b["type"] for b in receiver.only.json["blocks"]] == ["header"]


def test_failure_reasons_never_contain_the_webhook_url(receiver: Receiver) -> None:
    receiver.script(HOOK, Answer(404, "no_service"))
    with pytest.raises(DeliveryError) as caught:
        SlackWebhookChannel().send(outgoing(receiver.url + HOOK))
    assert caught.value.transient is False
    assert str(caught.value) == "HTTP 404: no_service"
    assert "XXXXsecretXXXX" not in str(caught.value)
