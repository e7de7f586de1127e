"""Deliveries leave no webhook URL or token in the log (httpx logs full URLs at INFO)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from channels._support import Receiver, outgoing
from firebell.auth.log_redaction import configure_logging, redact
from firebell.channels.base import DeliveryError
from firebell.channels.slack_webhook import SlackWebhookChannel
from firebell.channels.teams import TeamsChannel

SECRET = "B0123456789/XyZsEcReTtOkEn42"


@pytest.fixture
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    yield
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def deliver(receiver: Receiver, dead_url: str) -> None:
    SlackWebhookChannel().send(outgoing(address=f"{receiver.url}/services/T0/{SECRET}"))
    TeamsChannel().send(outgoing(address=f"{receiver.url}/workflows/run?sig={SECRET}"))
    with pytest.raises(DeliveryError):
        SlackWebhookChannel(timeout=2).send(outgoing(address=f"{dead_url}/services/{SECRET}"))
    url = f"{receiver.url}/hooks/{SECRET}"
    logging.getLogger("firebell.test").warning(
        "delivery to %s failed (Bearer fb_%s)", url, "a" * 40
    )


def test_without_redaction_the_url_leaks(
    receiver: Receiver, dead_url: str, clean_logging: None
) -> None:
    """The hazard itself: the HTTP client logs the whole webhook URL at INFO."""
    out = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(out))
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    deliver(receiver, dead_url)
    assert SECRET in out.getvalue()


def test_configured_logging_keeps_secrets_out(
    receiver: Receiver, dead_url: str, clean_logging: None
) -> None:
    out = io.StringIO()
    configure_logging(out)
    deliver(receiver, dead_url)
    log = out.getvalue()
    assert "delivery to http://127.0.0.1" in log  # the line is there, redacted
    assert SECRET not in log and "XyZsEcReT" not in log and "a" * 40 not in log
    assert len(receiver.requests) == 2


def test_redact() -> None:
    assert redact("POST https://hooks.slack.com/services/T/B/x ok") == (
        "POST https://hooks.slack.com/*** ok"
    )
    assert redact("http://user:pw@host:8080/") == "http://host:8080"
    assert redact("Authorization: Bearer abcdefgh12345") == "Authorization: Bearer ***"
    assert redact("token fb_" + "z" * 30) == "token fb_***"
    assert redact("no secrets here") == "no secrets here"
