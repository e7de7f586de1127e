"""Reads never wait behind writers (issue 9): token checks, lists and timelines run in
deferred, read-only transactions; writes keep BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from firebell.runtime import Runtime
from firebell.store.db import reading, transaction
from firebell.store.models import Silence


@contextmanager
def writer_holding(runtime: Runtime) -> Iterator[None]:
    """Another process's writer: holds SQLite's write lock (with a row written but not
    committed) until the block ends."""
    path = runtime.settings.database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM silences")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


# PostgreSQL readers never queue for a writer (MVCC); SQLite's did, under BEGIN IMMEDIATE.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
def test_token_checks_lists_and_timelines_answer_while_a_writer_holds_the_database(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    declared = app_client.post(
        "/api/v1/incidents", headers=admin, json={"title": "Checkout down", "severity": "P2"}
    )
    assert declared.status_code == 201, declared.text
    number = declared.json()["id"]
    reads = [
        "/api/v1/incidents",
        f"/api/v1/incidents/{number}",
        f"/api/v1/incidents/{number}/timeline",
        "/api/v1/silences",
    ]
    with writer_holding(runtime):
        for url in reads:
            started = time.perf_counter()
            r = app_client.get(url, headers=admin)  # the token check is a read too
            elapsed = time.perf_counter() - started
            assert r.status_code == 200, (url, r.text)
            # BEGIN IMMEDIATE would wait the 10 s busy timeout and then fail
            assert elapsed < 2, (url, elapsed)


@sqlite_only
def test_writes_still_take_the_write_lock_up_front(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    """A declaration waits for the writer (no lost update), then succeeds."""
    answer: dict[str, int] = {}

    def declare() -> None:
        r = app_client.post(
            "/api/v1/incidents", headers=admin, json={"title": "Slow", "severity": "P3"}
        )
        answer["status"] = r.status_code

    with writer_holding(runtime):
        thread = threading.Thread(target=declare)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "a write ran while another writer held the database"
    thread.join(10)
    assert answer == {"status": 201}


def test_a_read_session_cannot_write(runtime: Runtime) -> None:
    """On both databases: a write slipped into a read session fails at once, instead of
    upgrading its lock (SQLite) or writing outside the write path."""
    with pytest.raises(DBAPIError, match=r"(?i)read-?only"), reading(runtime.sessions) as session:
        session.execute(text("DELETE FROM silences"))
        session.flush()
    with transaction(runtime.sessions) as session:  # the pooled connection writes again
        session.execute(text("DELETE FROM silences"))
    with reading(runtime.sessions) as session:
        assert session.query(Silence).count() == 0
