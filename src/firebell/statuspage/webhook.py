"""Webhook subscribers: the notice's JSON, signed like every firebell webhook
(`X-Firebell-Signature: sha256=HMAC(secret, timestamp + "." + body)`) but with a secret
of the subscriber's own, so one receiver cannot forge messages to another."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from firebell.channels.base import Outgoing
from firebell.channels.webhook import post_signed
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
        secret = self.secret_for(int(message.payload["subscriber"]))
        post_signed(message.address, body.encode(), secret, self.now, self.timeout, message.id)
