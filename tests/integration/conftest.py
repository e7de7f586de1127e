"""Fixtures shared by the integration proofs: long-lived `firebell serve` processes for the
tests that can share them (each such test first puts the data in the state it needs)."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text

from ._support import Firebell, wait_for

PG_ADMIN_URL = os.environ.get(
    "FIREBELL_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
QUEUE_UP = 0.5  # seconds for requests sent behind a held lock to reach it (or firebell's queue)


@dataclass
class Served:
    """firebell as deployed on one database: SQLite takes one process."""

    firebell: Firebell
    database_url: str

    @property
    def processes(self) -> list[Firebell]:
        return [self.firebell]

    def scalars(self, sql: str, **params: object) -> list[object]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params).scalars())
        finally:
            engine.dispose()

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """Hold the SQLite write lock, as a slow writer would, until the block ends."""
        conn = sqlite3.connect(self.firebell.sqlite_path, isolation_level=None, timeout=10)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("COMMIT")
        finally:
            conn.close()

    def settle(self) -> None:
        """Let the requests sent inside `writes_held` queue up behind it."""
        time.sleep(QUEUE_UP)  # SQLite does not show who waits; well under its busy_timeout


@dataclass
class PgFirebell(Served):
    """PostgreSQL is the several-processes deployment: two `firebell serve` on one database."""

    peer: Firebell
    admin: Engine  # AUTOCOMMIT, to the server's maintenance database
    name: str  # our own database on the shared server

    @property
    def processes(self) -> list[Firebell]:
        return [self.firebell, self.peer]

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """Lock `alerts` against intake (its first statement is SELECT ... FOR UPDATE)."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text("LOCK TABLE alerts IN EXCLUSIVE MODE"))
                yield
        finally:
            engine.dispose()

    def settle(self) -> None:
        def waiting() -> bool:
            with self.admin.connect() as conn:
                count = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND wait_event_type = 'Lock'"
                    ),
                    {"name": self.name},
                ).scalar_one()
            return bool(count >= len(self.processes))

        # Every process has a transaction waiting for the lock ...
        wait_for(waiting, "each firebell process to wait for the lock")
        time.sleep(QUEUE_UP)  # ... and the rest of the requests are queued behind it.


@pytest.fixture(scope="session")
def sqlite_firebell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    firebell = Firebell(tmp_path_factory.mktemp("sqlite") / "home")
    try:
        yield Served(firebell, f"sqlite:///{firebell.sqlite_path}")
    finally:
        firebell.stop()


@pytest.fixture(scope="session")
def pg_firebell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgFirebell]:
    """Two `firebell serve` on a database created here and dropped in teardown; nothing else
    on the shared server is touched."""
    name = f"firebell_it_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    started: list[Firebell] = []
    try:
        # One after the other: the first creates the schema, the admin token and the master
        # key (secret.key in the shared FIREBELL_HOME), from which the peer derives the same
        # integration keys.
        home = tmp_path_factory.mktemp("pg") / "home"
        started.append(Firebell(home, database_url=url))
        started.append(Firebell(home, database_url=url))
        yield PgFirebell(started[0], url, started[1], admin, name)
    finally:
        for firebell in started:
            firebell.stop()
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def served(request: pytest.FixtureRequest) -> Served:
    """The same test against firebell on SQLite and on PostgreSQL."""
    found: Served = request.getfixturevalue(f"{request.param.replace('postgres', 'pg')}_firebell")
    return found
