"""Slack incoming webhook: the address is the webhook URL (`https://hooks.slack.com/services/…`).

`POST <url>` JSON `{"text", "blocks"}`: a header block with the subject and a mrkdwn section
with the body; `text` is the notification fallback. Slack answers `200 ok`. The URL is a
credential: it never appears in a failure reason.
"""

from __future__ import annotations

from typing import Any

from firebell.channels import _http
from firebell.channels.base import Outgoing
from firebell.channels.headers import one_line

HEADER_MAX = 150  # Slack's limit for a header block's plain_text
SECTION_MAX = 3000  # ... and for a section's text
TEXT_MAX = 4000


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: `&`, `<` and `>` only (so `<` is never read as a link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def blocks(subject: str, body: str) -> list[dict[str, Any]]:
    """A header block for the subject and a section for the body (empty ones left out)."""
    out: list[dict[str, Any]] = []
    if subject.strip():
        out.append(
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": one_line(subject, HEADER_MAX),
                    "emoji": True,
                },
            }
        )
    if body.strip():
        out.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(escape(body), SECTION_MAX)}}
        )
    return out


def fallback_text(subject: str, body: str) -> str:
    return clip(escape("\n".join(part for part in (subject, body) if part.strip())), TEXT_MAX)


class SlackWebhookChannel:
    method = "slack"

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        _http.post(
            message.address,
            timeout=self.timeout,
            json_body={
                "text": fallback_text(message.subject, message.body),
                "blocks": blocks(message.subject, message.body),
            },
        )
