"""ntfy push notifications; the address is the topic.

`POST {base}/{topic}` with the body as the message (UTF-8) and headers `Title`, `Priority`,
`Tags` and `Click` (when the payload has a `url`); `Authorization: Bearer <token>` when a token
is configured (self-hosted servers with access control).

HTTP header values are latin-1 on the wire, so any header value that is not plain ASCII is
sent as one RFC 2047 encoded-word, `=?UTF-8?B?<base64>?=`, which ntfy decodes (its documented
way to send non-ASCII titles); ASCII values go as they are. Control characters (CR/LF
included) are replaced by spaces, so a value can never split a header.

Priority is 5 (max) for pages of P0/P1 incidents and 3 (default) for everything else.
"""

from __future__ import annotations

import re
from typing import Any

from firebell.channels import _http
from firebell.channels.base import DeliveryError, Outgoing
from firebell.channels.headers import http_header

DEFAULT_BASE_URL = "https://ntfy.sh"
URGENT = frozenset({"P0", "P1"})
TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")  # what ntfy accepts as a topic name
header_value = http_header


def priority(message: Outgoing) -> int:
    severity = str(message.payload.get("severity", "")).upper()
    return 5 if message.purpose == "page" and severity in URGENT else 3


def tags(message: Outgoing) -> list[str]:
    """An emoji first (ntfy shows known shortcodes as emoji), then severity and purpose."""
    out = ["rotating_light" if priority(message) == 5 else "bell"]
    severity = message.payload.get("severity")
    if isinstance(severity, str) and severity:
        out.append(severity)
    if message.purpose:
        out.append(message.purpose)
    return [t.replace(",", " ") for t in out]


class NtfyChannel:
    method = "push"

    def __init__(
        self, base_url: str = DEFAULT_BASE_URL, token: str | None = None, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"NtfyChannel(base_url={self.base_url!r})"

    def request(self, message: Outgoing) -> tuple[str, dict[str, str], bytes]:
        """URL, headers and body of the publish request (separate so it can be inspected)."""
        topic = message.address.strip()
        if not TOPIC.match(topic):
            raise DeliveryError(f"not an ntfy topic: {topic[:80]!r}", transient=False)
        headers = {
            "Title": header_value(message.subject or "firebell"),
            "Priority": str(priority(message)),
            "Tags": header_value(",".join(tags(message))),
            "Content-Type": "text/plain; charset=utf-8",
        }
        url: Any = message.payload.get("url")
        if isinstance(url, str) and url.strip():
            headers["Click"] = header_value(url)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = (message.body or message.subject).encode()
        return f"{self.base_url}/{topic}", headers, body

    def send(self, message: Outgoing) -> None:
        url, headers, body = self.request(message)
        _http.post(url, timeout=self.timeout, secrets=[self._token], headers=headers, content=body)
