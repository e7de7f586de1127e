"""What every delivery channel provides. Adding a channel is one small file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sees it (a read-only copy of the outbox row)."""

    id: int
    incident_id: int | None
    purpose: str
    person: str | None
    address: str
    subject: str
    body: str
    payload: dict[str, Any]


class DeliveryError(Exception):
    """`transient` failures are retried with backoff; others fail the message at once."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class Channel(Protocol):
    method: str

    def send(self, message: Outgoing) -> None:
        """Deliver or raise DeliveryError. Must give up within `timeout` seconds."""
        ...
