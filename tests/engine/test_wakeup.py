"""The engine wakes when a page is committed, not at its next poll: with a 30 s poll the
page still leaves at once. In-process on SQLite and PostgreSQL; across processes'
connections (LISTEN/NOTIFY) on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from paging._support import PRIMARY, HttpReceiver, declare, make_runtime, playbook_document

from firebell.clock import FrozenClock
from firebell.runtime import Runtime

POLL = 30.0  # seconds: far longer than the test waits


def run_engine(rt: Runtime, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=rt.engine.run, args=(stop, POLL), daemon=True)
    thread.start()
    return thread


def settle(rt: Runtime) -> None:
    """Let the engine finish its first pass and go idle (its 30 s wait)."""
    time.sleep(0.5)


def test_a_commit_wakes_the_engine_in_process(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = make_runtime(tmp_path, database_url, clock, playbook_document(receiver.url))
    stop = threading.Event()
    thread = run_engine(rt, stop)
    try:
        settle(rt)
        started = time.monotonic()
        declare(rt, "P1")
        receiver.wait_for(lambda hits: len(hits) >= 1, timeout=5)
        assert receiver.people() == [PRIMARY]
        assert time.monotonic() - started < 5 < POLL
    finally:
        stop.set()
        rt.engine.wake()
        thread.join(timeout=10)
        rt.close()
    assert not thread.is_alive()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_notify_wakes_an_engine_on_another_connection(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    api = make_runtime(tmp_path / "api", database_url, clock, doc)  # declares, no engine
    worker = make_runtime(tmp_path / "worker", database_url, clock, doc)
    stop = threading.Event()
    thread = run_engine(worker, stop)
    try:
        settle(worker)
        declare(api, "P1")  # committed by another sessionmaker: only NOTIFY reaches the worker
        receiver.wait_for(lambda hits: len(hits) >= 1, timeout=5)
        assert receiver.people() == [PRIMARY]
    finally:
        stop.set()
        worker.engine.wake()
        thread.join(timeout=10)
        api.close()
        worker.close()


def test_a_rolled_back_transaction_does_not_wake(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = make_runtime(tmp_path, database_url, clock, playbook_document(receiver.url))
    try:
        rt.engine.wakeup.clear()
        with pytest.raises(Exception, match="title"):
            declare(rt, "P1", title="")
        assert not rt.engine.wakeup.is_set()
        declare(rt, "P1")
        assert rt.engine.wakeup.is_set()
    finally:
        rt.close()
