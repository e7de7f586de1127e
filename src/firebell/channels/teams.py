"""Microsoft Teams via a Workflows incoming webhook: the address is the workflow's URL.

The message is an Adaptive Card 1.4: a bold, large title and the wrapped body. Workflows
answer `202 Accepted` (any 2xx is success). The URL carries its signature (`sig=`): it never
appears in a failure reason.
"""

from __future__ import annotations

from typing import Any

from firebell.channels import _http
from firebell.channels.base import Outgoing
from firebell.channels.headers import one_line

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card(title: str, body: str) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": CARD_CONTENT_TYPE,
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": one_line(title),
                            "weight": "Bolder",
                            "size": "Large",
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": body, "wrap": True},
                    ],
                },
            }
        ],
    }


class TeamsChannel:
    method = "teams"

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        _http.post(
            message.address, timeout=self.timeout, json_body=card(message.subject, message.body)
        )
