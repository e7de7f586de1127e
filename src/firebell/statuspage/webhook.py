"""Webhook subscribers: the notice's JSON, signed like every firebell webhook
(`X-Firebell-Signature: sha256=HMAC(secret, timestamp + "." + body)`) but with a secret
of the subscriber's own, so one receiver cannot forge messages to another."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from firebell.channels._http import ssl_context
from firebell.channels.base import DeliveryError, Outgoing
from firebell.channels.webhook import signature
from firebell.statuspage.subscribers import WEBHOOK_METHOD


class SubscriberWebhook:
    method = WEBHOOK_METHOD

    def __init__(
        self,
        secret_for: Callable[[int], str],
        timeout: float = 10.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.secret_for = secret_for
        self.timeout = timeout
        self.now = now

    def send(self, message: Outgoing) -> None:
        body = json.dumps(message.payload["event"], separators=(",", ":"), sort_keys=True)
        raw = body.encode()
        timestamp = str(int(self.now()))
        secret = self.secret_for(int(message.payload["subscriber"]))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "firebell",
            "X-Firebell-Timestamp": timestamp,
            "X-Firebell-Signature": signature(secret, timestamp, raw),
            "X-Firebell-Message": str(message.id),
        }
        try:
            response = httpx.post(
                message.address,
                content=raw,
                headers=headers,
                timeout=self.timeout,
                verify=ssl_context(),
            )
        except httpx.TransportError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", transient=True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"HTTP {response.status_code}", transient=True)
        if response.status_code >= 400:
            raise DeliveryError(f"HTTP {response.status_code}", transient=False)
