"""The engine: fires due timers and delivers outbox messages.

Each step is its own short transaction. On PostgreSQL, rows are claimed with
``FOR UPDATE SKIP LOCKED`` so any number of engines share the work without doing any of
it twice; on SQLite, one process runs the engine (``BEGIN IMMEDIATE`` serialises it).

Messages are leased in batches (``sending``, with a lease and its owner). Immediately
before each network call the attempt is committed on its own (``send_started_at``). If
the process dies, the lease runs out: a row whose send had started becomes
``possibly_sent`` with a timeline event (a person may or may not have been paged, and
firebell says so instead of guessing either way); a row that was leased but never tried
goes back to ``pending`` and is sent by the next claim. No page is lost to a crash.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from firebell.channels.base import Channel, DeliveryError, Outgoing
from firebell.clock import Clock
from firebell.engine.delivery import LEASE, backoff, should_retry
from firebell.engine.wakeup import listen
from firebell.incidents.service import record
from firebell.store.db import transaction
from firebell.store.models import Message, Timer

log = logging.getLogger("firebell.engine")
TimerHandler = Callable[[Session, Timer, datetime], None]


@dataclass
class Engine:
    sessions: sessionmaker[Session]
    clock: Clock
    channels: Mapping[str, Channel]
    handlers: dict[str, TimerHandler] = field(default_factory=dict)
    # method -> (count, window): at most `count` messages to one address per window.
    throttles: dict[str, tuple[int, timedelta]] = field(default_factory=dict)
    # Other due-work checks with their own tables (e.g. heartbeats); each returns work done.
    steps: list[Callable[[], int]] = field(default_factory=list)
    batch: int = 200
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _claims: int = 0  # numbers each lease, so a stale lease can never be mistaken for ours
    _leases: dict[int, str] = field(default_factory=dict)  # message id -> our lease on it
    # Set when work is committed (see wakeup.py): the idle wait ends at once.
    wakeup: threading.Event = field(default_factory=threading.Event)
    # PostgreSQL: listen for NOTIFY from other processes while running.
    notify_url: str | None = None
    # Methods the recipient pulls (the web console shows its pages and confirms them):
    # never claimed here; they stay pending until shown (channels/console.py).
    pulled: frozenset[str] = frozenset({"console"})

    # --- timers ----------------------------------------------------------------------

    def fire_due_timers(self) -> int:
        """Fire a batch of due timers in one transaction. The batch runs without a
        savepoint per timer (a savepoint costs a flush and a round trip each); if one
        handler fails, the batch is rolled back and run again with savepoints, so that
        timer alone is marked failed."""
        now = self.clock.now()
        try:
            return self._fire(now, careful=False)
        except _HandlerFailed:
            return self._fire(now, careful=True)

    def _fire(self, now: datetime, careful: bool) -> int:
        with transaction(self.sessions) as session:
            timers = list(
                session.scalars(
                    select(Timer)
                    .where(Timer.status == "pending", Timer.due_at <= now)
                    .order_by(Timer.due_at, Timer.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for timer in timers:
                if careful:
                    try:
                        with session.begin_nested():
                            self._handle(session, timer, now)
                    except Exception as exc:  # one bad timer must not block the others
                        log.exception("timer %s (%s) failed", timer.id, timer.kind)
                        timer.status, timer.error = "failed", f"{type(exc).__name__}: {exc}"
                    else:
                        timer.status = "fired"
                else:
                    try:
                        self._handle(session, timer, now)
                    except OperationalError:
                        raise  # the database is unreachable: try the batch later
                    except Exception as exc:
                        raise _HandlerFailed from exc
                    timer.status = "fired"
                timer.fired_at = now
        return len(timers)

    def _handle(self, session: Session, timer: Timer, now: datetime) -> None:
        handler = self.handlers.get(timer.kind)
        if handler is None:
            raise LookupError(f"no handler for timer kind '{timer.kind}'")
        handler(session, timer, now)

    # --- messages ----------------------------------------------------------------------

    def recover_stale_sends(self) -> int:
        """`sending` rows whose lease ran out. If the send had started, the sender died
        mid-send: say so, never resend. If it had not, nobody was paged: back to pending."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            rows = list(
                session.scalars(
                    select(Message)
                    .where(Message.status == "sending", Message.lease_until < now)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.lease_until, row.leased_by = None, None
                if row.send_started_at is None:
                    row.status = "pending"  # leased, never tried: the next claim sends it
                    continue
                row.status = "possibly_sent"
                row.last_error = "the sender stopped before the outcome was known"
                if row.incident_id is not None:
                    record(
                        session,
                        row.incident_id,
                        now,
                        "firebell",
                        _event(row, "possibly_sent"),
                        _describe(row),
                    )
        return len(rows)

    def claim(self) -> list[Outgoing]:
        """Lease a batch of due messages, high urgency first, then oldest. Leasing is not
        sending: each message's attempt is recorded by `begin_send` just before its call."""
        now = self.clock.now()
        self._claims += 1
        owner = f"{self.worker_id}:{self._claims}"
        with transaction(self.sessions) as session:
            rows = list(
                session.scalars(
                    select(Message)
                    .where(Message.status == "pending", Message.not_before <= now)
                    .where(Message.method.not_in(self.pulled))
                    .order_by(Message.priority, Message.not_before, Message.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            claimed: list[Outgoing] = []
            for row in rows:
                wait_until = self._throttled(session, row, now)
                if wait_until is not None:
                    row.not_before = wait_until  # stays pending; goes out when allowed
                    continue
                row.status, row.leased_by = "sending", owner
                row.send_started_at = None
                row.lease_until = now + LEASE
                claimed.append(_outgoing(row))
        # committed: the lease is ours
        self._leases.update((m.id, owner) for m in claimed)
        return claimed

    def begin_send(self, message: Outgoing) -> bool:
        """Record, durably, that this message's send starts now (its own commit, just
        before the network call). False when this engine no longer holds the lease: the
        row was recovered or claimed by another engine, so it must not be sent here."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            result = session.execute(
                update(Message)
                .where(
                    Message.id == message.id,
                    Message.status == "sending",
                    Message.leased_by == self._leases.pop(message.id, None),
                    Message.send_started_at.is_(None),
                )
                .values(
                    send_started_at=now,
                    attempts=Message.attempts + 1,
                    lease_until=now + LEASE,
                )
            )
            return _rowcount(result) == 1

    def _throttled(self, session: Session, row: Message, now: datetime) -> datetime | None:
        """When a per-method throttle (at most `count` messages to one address per
        `window`) holds this message back: the instant it may go; else None."""
        limit = self.throttles.get(row.method)
        if limit is None:
            return None
        count, window = limit
        same = (Message.method == row.method, Message.address == row.address)
        recent = list(
            session.scalars(
                select(Message.sent_at)
                .where(*same, Message.status == "sent", Message.sent_at > now - window)
                .order_by(Message.sent_at.desc())
                .limit(count)
            )
        )
        in_flight = len(
            session.scalars(
                select(Message.id).where(*same, Message.status == "sending").limit(count)
            ).all()
        )
        if len(recent) + in_flight < count:
            return None
        if len(recent) >= count and recent[-1] is not None:
            return recent[-1] + window  # the oldest of the last `count` leaves the window
        return now + timedelta(seconds=1)  # others are being sent: look again shortly

    def deliver(self, message: Outgoing) -> None:
        if not self.begin_send(message):
            return
        method = str(message.payload["method"])
        channel = self.channels.get(method)
        error: DeliveryError | None = None
        if channel is None:
            error = DeliveryError(f"no {method} channel configured", transient=False)
        else:
            try:
                channel.send(message)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a bug in an adapter: retry like a transient error
                log.exception("channel %s crashed on message %s", method, message.id)
                error = DeliveryError(f"{type(exc).__name__}: {exc}", transient=True)
        self._settle(message.id, error)

    def _settle(self, message_id: int, error: DeliveryError | None) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(Message, message_id, with_for_update=True)
            if row is None or row.status != "sending":
                return
            row.lease_until, row.leased_by, row.send_started_at = None, None, None
            if error is None:
                row.status, row.sent_at = "sent", now
                kind = _event(row, "sent")
            elif should_retry(row.attempts, error.transient):
                row.status, row.not_before = "pending", now + backoff(row.attempts)
                row.last_error = str(error)
                kind = ""  # retries are not news; the final outcome is
            else:
                row.status, row.last_error = "failed", str(error)
                kind = _event(row, "failed")
            if row.incident_id is not None and kind:
                details = _describe(row)
                if error is not None:
                    details["error"] = str(error)
                record(session, row.incident_id, now, "firebell", kind, details)

    def deliver_due(self) -> int:
        claimed_at = self.clock.now()
        messages = self.claim()
        for i, message in enumerate(messages):
            # FIX (lease outlived by its own batch): the whole batch is claimed with one
            # lease, but sent one message after another. Slow receivers could use the lease
            # up before the last rows were even tried; another engine would then mark them
            # `possibly_sent`, so a page that was never sent was never retried (or a page
            # that was sent was not recorded). Once half the lease is gone, hand the rows
            # not yet tried back to `pending`: this engine knows they were not sent.
            if self.clock.now() - claimed_at > LEASE / 2:
                self._release([m.id for m in messages[i:]])
                break
            self.deliver(message)
        return len(messages)

    def _release(self, ids: list[int]) -> None:
        """Rows claimed but not tried: back to pending, as if never claimed."""
        for message_id in ids:
            self._leases.pop(message_id, None)
        with transaction(self.sessions) as session:
            session.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.status == "sending")
                .where(Message.send_started_at.is_(None))
                .values(status="pending", lease_until=None, leased_by=None)
            )

    # --- the loop -------------------------------------------------------------------------

    def run_once(self) -> int:
        done = self.recover_stale_sends() + self.fire_due_timers()
        for step in self.steps:
            done += step()
        return done + self.deliver_due()

    def wake(self) -> None:
        """Work was committed: end the idle wait now."""
        self.wakeup.set()

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        log.info("engine %s started", self.worker_id)
        if self.notify_url is not None:
            listen(self.notify_url, self.wake, stop)
        while not stop.is_set():
            self.wakeup.clear()  # before the step: a commit during it wakes the next wait
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly unavailable: try again
                log.exception("engine step failed")
                busy = 0
            if not busy:
                self.wakeup.wait(interval)


class _HandlerFailed(Exception):
    pass


def _outgoing(row: Message) -> Outgoing:
    return Outgoing(
        row.id,
        row.incident_id,
        row.purpose,
        row.person,
        row.address,
        row.subject,
        row.body,
        {**row.payload, "method": row.method},
    )


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _event(row: Message, outcome: str) -> str:
    """Timeline kind for a delivery outcome: `page_sent` for pages and admin alerts,
    `message_sent` for everything else (updates, reminders, war-room posts...)."""
    return f"page_{outcome}" if row.purpose in ("page", "admin") else f"message_{outcome}"


def _describe(row: Message) -> dict[str, object]:
    return {
        "message": row.id,
        "purpose": row.purpose,
        "person": row.person,
        "method": row.method,
        "attempts": row.attempts,
    }
