"""Wake the engine when work is committed, instead of waiting for its next poll.

A transaction that adds an outbox message or a timer marks itself; when it commits, the
engine in this process is woken at once (an in-process signal, all that SQLite needs:
one process runs the engine). On PostgreSQL the transaction also sends
``NOTIFY firebell_engine`` (delivered at commit), so engines in other processes, each
listening on a connection of its own, wake too. The poll stays as a safety net.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from firebell.store.models import Message, Timer

log = logging.getLogger("firebell.engine")
CHANNEL = "firebell_engine"
_FLAG = "firebell_wake_engine"


def install(sessions: sessionmaker[Session], wake: Callable[[], None]) -> None:
    """Wake on every commit that added a message or a timer."""

    @event.listens_for(sessions, "before_flush")
    def _note(session: Session, _context: Any, _instances: Any) -> None:
        if not session.info.get(_FLAG) and any(
            isinstance(obj, (Message, Timer)) for obj in session.new
        ):
            session.info[_FLAG] = True

    @event.listens_for(sessions, "before_commit")
    def _notify(session: Session) -> None:
        if not session.info.get(_FLAG):
            session.flush()  # the rows may still be pending: flushing marks them
        if session.info.get(_FLAG) and session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"NOTIFY {CHANNEL}"))

    @event.listens_for(sessions, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop(_FLAG, False):
            wake()

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_FLAG, None)


def listen(database_url: str, wake: Callable[[], None], stop: threading.Event) -> threading.Thread:
    """On PostgreSQL: a thread that wakes the engine on every ``NOTIFY firebell_engine``."""
    thread = threading.Thread(
        target=_listen, args=(database_url, wake, stop), name="firebell-listen", daemon=True
    )
    thread.start()
    return thread


def _listen(database_url: str, wake: Callable[[], None], stop: threading.Event) -> None:
    import psycopg

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    while not stop.is_set():
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not stop.is_set():
                    for _ in conn.notifies(timeout=1.0):
                        wake()
        except psycopg.Error:
            log.warning("engine wake-up listener lost its connection; retrying")
            stop.wait(1.0)
