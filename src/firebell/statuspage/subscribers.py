"""Subscribers: e-mail with double opt-in, webhooks, and the fan-out of public messages.

Links carry `HMAC(key, purpose:id)`: a confirmation or unsubscribe link works without a
stored secret, and one subscriber's link says nothing about another's. Every message to a
subscriber goes through the outbox (retries, throttles, never lost, never sent twice:
one row per subscriber and notice, with a unique dedupe key).
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.keys import derive
from firebell.clock import Clock
from firebell.errors import Invalid, NotFound
from firebell.playbook.schema import Playbook
from firebell.statuspage.models import Subscriber
from firebell.store.db import transaction
from firebell.store.outbox import enqueue

WEBHOOK_METHOD = "status_webhook"
EMAIL_MAX = 320
CSV_FIELDS = ("kind", "address", "components", "status", "created_at", "confirmed_at")


def valid_email(address: str) -> bool:
    local, at, domain = address.partition("@")
    return (
        bool(at and local and "." in domain)
        and len(address) <= EMAIL_MAX
        and not any(c.isspace() or c in "<>,;\"'\r\n" for c in address)
    )


def valid_url(address: str) -> bool:
    return (
        address.startswith(("https://", "http://"))
        and len(address) <= 1000
        and not any(c.isspace() for c in address)
    )


@dataclass(frozen=True)
class Notice:
    """One public message for the subscribers of some components (empty: everyone)."""

    key: str  # unique per notice; with the subscriber id it is the dedupe key
    subject: str
    body: str
    components: frozenset[str]
    event: dict[str, Any]  # the JSON webhook subscribers receive
    incident_id: int | None = None


class Subscribers:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Callable[[], Playbook],
        master_key: bytes,
        page_url: Callable[[], str],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.master_key = master_key
        self.page_url = page_url

    # --- links ------------------------------------------------------------------------

    def token(self, purpose: str, subscriber_id: int) -> str:
        return derive(self.master_key, f"status-{purpose}:{subscriber_id}", 40)

    def check(self, purpose: str, subscriber_id: int, token: str) -> bool:
        return hmac.compare_digest(self.token(purpose, subscriber_id), token)

    def link(self, purpose: str, subscriber_id: int) -> str:
        base = self.page_url().rstrip("/")
        base = base if base.endswith("/status") else f"{base}/status"
        return f"{base}/{purpose}/{subscriber_id}/{self.token(purpose, subscriber_id)}"

    def webhook_secret(self, subscriber_id: int) -> str:
        return derive(self.master_key, f"status-webhook:{subscriber_id}", 64)

    # --- public flows -------------------------------------------------------------------

    def _components(self, components: Iterable[str]) -> list[str]:
        known = [c.id for c in self.playbook().status_page.components]
        chosen = sorted(set(components))
        for component in chosen:
            if component not in known:
                raise Invalid.field(
                    "components", f"unknown component '{component}'; known: {', '.join(known)}"
                )
        return chosen

    def subscribe_email(self, address: str, components: Iterable[str]) -> None:
        """Ask for confirmation. The answer is the same whether or not the address was
        known, so the form does not tell who subscribes."""
        address = address.strip()
        if not valid_email(address):
            raise Invalid.field("email", "not an e-mail address")
        chosen = self._components(components)
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.scalars(
                select(Subscriber)
                .where(Subscriber.kind == "email", Subscriber.address == address)
                .with_for_update()
            ).first()
            if row is None:
                row = Subscriber(
                    kind="email",
                    address=address,
                    components=chosen,
                    status="pending",
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
            elif row.status != "active":
                row.status, row.components, row.updated_at = "pending", chosen, now
            else:
                return  # already subscribed: nothing to confirm, nothing said
            title = self.playbook().status_page.title or self.playbook().organization.name
            enqueue(
                session,
                purpose="subscriber",
                method="email",
                address=address,
                subject=f"Confirm your subscription to {title} status",
                body=(
                    f"Someone (hopefully you) asked to receive {title} status updates at "
                    f"this address.\n\nConfirm: {self.link('confirm', row.id)}\n\n"
                    "If this was not you, ignore this message: nothing will be sent."
                ),
                dedupe_key=f"subscriber-confirm:{row.id}:{now.isoformat()}",
                now=now,
            )

    def confirm(self, subscriber_id: int, token: str) -> Subscriber:
        return self._set(subscriber_id, token, "confirm", "active")

    def unsubscribe(self, subscriber_id: int, token: str) -> Subscriber:
        return self._set(subscriber_id, token, "unsubscribe", "unsubscribed")

    def _set(self, subscriber_id: int, token: str, purpose: str, status: str) -> Subscriber:
        if not self.check(purpose, subscriber_id, token):
            raise NotFound("this link is not valid")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(Subscriber, subscriber_id, with_for_update=True)
            if row is None:
                raise NotFound("this link is not valid")
            if status == "active" and row.status == "unsubscribed":
                return row  # an old confirmation link does not undo an unsubscribe
            row.status, row.updated_at = status, now
            if status == "active":
                row.confirmed_at = row.confirmed_at or now
            else:
                row.unsubscribed_at = now
            return row

    # --- management (API, CLI) ------------------------------------------------------------

    def add(self, kind: str, address: str, components: Iterable[str]) -> Subscriber:
        """An admin's subscriber: active at once (the admin vouches for consent)."""
        with transaction(self.sessions) as session:
            return self._add(session, kind, address, components, self.clock.now())

    def _add(
        self,
        session: Session,
        kind: str,
        address: str,
        components: Iterable[str],
        now: datetime,
        revive: bool = True,
    ) -> Subscriber:
        address = address.strip()
        if kind == "email" and not valid_email(address):
            raise Invalid.field("address", "not an e-mail address")
        if kind == "webhook" and not valid_url(address):
            raise Invalid.field("address", "a webhook needs an http(s) URL")
        if kind not in ("email", "webhook"):
            raise Invalid.field("kind", "email or webhook")
        chosen = self._components(components)
        row = session.scalars(
            select(Subscriber).where(Subscriber.kind == kind, Subscriber.address == address)
        ).first()
        if row is None:
            row = Subscriber(kind=kind, address=address, created_at=now)
            session.add(row)
        elif row.status == "unsubscribed" and not revive:
            return row  # an import never re-subscribes someone who left
        row.components, row.status, row.updated_at = chosen, "active", now
        row.confirmed_at = row.confirmed_at or now
        row.unsubscribed_at = None
        session.flush()
        return row

    def list(self, include_gone: bool = False) -> list[Subscriber]:
        with self.sessions() as session:
            query = select(Subscriber).order_by(Subscriber.id)
            if not include_gone:
                query = query.where(Subscriber.status != "unsubscribed")
            return list(session.scalars(query))

    def remove(self, subscriber_id: int) -> None:
        with transaction(self.sessions) as session:
            row = session.get(Subscriber, subscriber_id)
            if row is None:
                raise NotFound(f"no subscriber #{subscriber_id}")
            session.delete(row)

    def export_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for row in self.list(include_gone=True):
            writer.writerow(
                [
                    row.kind,
                    row.address,
                    " ".join(row.components),
                    row.status,
                    row.created_at.isoformat(),
                    row.confirmed_at.isoformat() if row.confirmed_at else "",
                ]
            )
        return out.getvalue()

    def import_csv(self, text: str) -> int:
        """All rows or none: a bad row names its line and nothing is written."""
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "address" not in reader.fieldnames:
            raise Invalid.field("csv", "needs a header row with at least 'address'")
        now = self.clock.now()
        count = 0
        with transaction(self.sessions) as session:
            for line, record in enumerate(reader, start=2):
                if (record.get("status") or "active") == "unsubscribed":
                    continue  # never re-subscribe someone who left
                try:
                    self._add(
                        session,
                        (record.get("kind") or "email").strip(),
                        record.get("address") or "",
                        (record.get("components") or "").split(),
                        now,
                        revive=False,
                    )
                except Invalid as exc:
                    raise Invalid.field(f"csv line {line}", exc.detail) from None
                count += 1
        return count

    # --- fan-out ------------------------------------------------------------------------

    def fanout(self, session: Session, notice: Notice, now: datetime) -> int:
        """Queue `notice` for every active subscriber of its components, in the caller's
        transaction. Returns how many messages were queued."""
        rows = session.scalars(select(Subscriber).where(Subscriber.status == "active")).all()
        queued = 0
        for row in rows:
            if (
                row.components
                and notice.components
                and not (set(row.components) & notice.components)
            ):
                continue
            unsubscribe = self.link("unsubscribe", row.id)
            if row.kind == "email":
                enqueue(
                    session,
                    purpose="subscriber",
                    method="email",
                    address=row.address,
                    subject=notice.subject,
                    body=f"{notice.body}\n\n--\nUnsubscribe: {unsubscribe}",
                    dedupe_key=f"{notice.key}:{row.id}",
                    now=now,
                    payload={
                        "headers": {
                            "List-Unsubscribe": f"<{unsubscribe}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                        }
                    },
                )
            else:
                enqueue(
                    session,
                    purpose="subscriber",
                    method=WEBHOOK_METHOD,
                    address=row.address,
                    subject=notice.subject,
                    body=notice.body,
                    dedupe_key=f"{notice.key}:{row.id}",
                    now=now,
                    payload={"subscriber": row.id, "event": notice.event},
                )
            queued += 1
        return queued


def describe(row: Subscriber) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "address": row.address,
        "components": row.components,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
    }
