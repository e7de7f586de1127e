"""Mattermost incoming webhook (Slack-compatible): the address is the webhook URL.

`POST <url>` JSON `{"text", "username": "firebell"}`, plus `channel` when the message's
payload names one (to override the webhook's default channel). Text is Markdown: the subject
in bold on the first line, then the body. Mattermost answers `200 ok`.
"""

from __future__ import annotations

from typing import Any

from firebell.channels import _http
from firebell.channels.base import Outgoing
from firebell.channels.headers import one_line

USERNAME = "firebell"


def text(subject: str, body: str) -> str:
    lines = [f"**{one_line(subject)}**" if subject.strip() else "", body]
    return "\n".join(line for line in lines if line.strip())


class MattermostChannel:
    method = "mattermost"

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        body: dict[str, Any] = {"text": text(message.subject, message.body), "username": USERNAME}
        channel = message.payload.get("channel")
        if isinstance(channel, str) and channel:
            body["channel"] = channel
        _http.post(message.address, timeout=self.timeout, json_body=body)
