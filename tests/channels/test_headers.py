"""Header values are one line in every channel: a title with a newline still pages."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message

import pytest
from paging._support import SmtpReceiver, smtp_receiver

from channels._support import Receiver, outgoing
from firebell.channels.email import EmailChannel
from firebell.channels.headers import http_header, one_line
from firebell.channels.mattermost import text as mattermost_text
from firebell.channels.ntfy import NtfyChannel
from firebell.channels.slack_webhook import blocks
from firebell.channels.teams import card

EVIL = "Checkout down\r\nBcc: attacker@example.net\nX-Evil: 1"


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


def test_one_line_and_http_header() -> None:
    assert one_line(EVIL) == "Checkout down Bcc: attacker@example.net X-Evil: 1"
    assert one_line("a\u2028b\x85c\x00d") == "a b c d"
    assert len(one_line("x" * 5000)) == 989
    assert http_header("Caf\u00e9\nok").startswith("=?UTF-8?B?")
    assert "\n" not in http_header(EVIL)


def test_email_with_a_newline_in_the_subject_is_delivered_on_one_line(smtp: SmtpReceiver) -> None:
    EmailChannel(smtp.settings).send(outgoing(address="oncall@example.test", subject=EVIL))
    [received] = smtp.messages
    assert isinstance(received, Message)
    assert received["Subject"] == "Checkout down Bcc: attacker@example.net X-Evil: 1"
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert received["X-Test-Rcpt"] == "oncall@example.test"


def test_ntfy_headers_are_one_line(receiver: Receiver) -> None:
    NtfyChannel(base_url=receiver.url).send(outgoing(address="topic1", subject=EVIL))
    [request] = receiver.requests
    assert request.headers["title"] == "Checkout down Bcc: attacker@example.net X-Evil: 1"
    assert "x-evil" not in request.headers


def test_chat_titles_are_one_line() -> None:
    assert blocks(EVIL, "body")[0]["text"]["text"].count("\n") == 0
    title = card(EVIL, "body")["attachments"][0]["content"]["body"][0]["text"]
    assert "\n" not in title
    assert mattermost_text(EVIL, "body").split("\n")[0].endswith("X-Evil: 1**")
