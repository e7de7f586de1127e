"""Outgoing webhook: JSON, signed with HMAC-SHA256.

Receivers verify ``X-Firebell-Signature: sha256=<hex>`` computed over
``"<X-Firebell-Timestamp>.<raw body>"`` with the shared secret, and may refuse stale
timestamps to stop replays (the same scheme as Slack's and Stripe's).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from firebell.channels._http import ssl_context
from firebell.channels.base import DeliveryError, Outgoing


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    method = "webhook"

    def __init__(
        self,
        secret: str,
        timeout: float = 10.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret
        self.timeout = timeout
        self.now = now

    def send(self, message: Outgoing) -> None:
        body = json.dumps(
            {
                "message_id": message.id,
                "incident_id": message.incident_id,
                "purpose": message.purpose,
                "person": message.person,
                "subject": message.subject,
                "text": message.body,
                **message.payload,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        post_signed(message.address, body, self.secret, self.now, self.timeout, message.id)


def post_signed(
    address: str,
    body: bytes,
    secret: str,
    now: Callable[[], float],
    timeout: float,
    message_id: int,
) -> None:
    """POST `body` signed with `secret`; a failure is a DeliveryError (5xx/429 and network
    errors are transient)."""
    timestamp = str(int(now()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "firebell",
        "X-Firebell-Timestamp": timestamp,
        "X-Firebell-Signature": signature(secret, timestamp, body),
        "X-Firebell-Message": str(message_id),
    }
    try:
        response = httpx.post(
            address,
            content=body,
            headers=headers,
            timeout=timeout,
            verify=ssl_context(),  # built once: a new one per page cost ~30 ms
        )
    except httpx.TransportError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise DeliveryError(f"HTTP {response.status_code}", transient=True)
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}", transient=False)
