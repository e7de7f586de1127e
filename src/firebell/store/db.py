"""Database engine and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


# Execution option of the connections `reading` hands out.
READ_ONLY = "firebell_read_only"


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so a read-then-write transaction takes
    the write lock up front (otherwise two acks could both read 'unacknowledged'); but a
    read-only session (`reading`) begins DEFERRED, so it never waits behind a writer, and
    runs with `query_only` so it cannot write (and silently upgrade its lock) by mistake."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        if connection.info.get(READ_ONLY, False) != read_only:  # per pooled connection
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            connection.info[READ_ONLY] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for read-only work (token checks, lists, timelines, GETs): on SQLite its
    transaction is deferred, so it reads a snapshot beside a writer instead of queueing
    for the write lock; on both databases it is read-only, so a write there fails loudly.
    Writes (anything read-then-written included) go through `transaction`."""
    engine = factory.kw["bind"]
    with factory(bind=engine.execution_options(**_READ_OPTIONS)) as session:
        yield session


_READ_OPTIONS: dict[str, Any] = {READ_ONLY: True, "postgresql_readonly": True}


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


# Advisory lock keys for work that must not interleave across processes.
INTAKE_LOCK = 0x66697265  # "fire"


def serialize(session: Session, key: int) -> None:
    """Hold a transaction-wide lock on `key` before reading anything: on PostgreSQL an
    advisory lock (so `SELECT … FOR UPDATE` of a row that does not exist yet cannot let two
    processes both insert it); on SQLite the write lock itself (BEGIN IMMEDIATE)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
