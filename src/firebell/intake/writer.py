"""Group commit for alert intake: one writer thread, many events per transaction.

An intake request parses its payload on the event loop, hands the storage work to this
writer and waits. The writer takes every job queued so far (up to `max_batch`), runs them
in one transaction, commits once, and only then answers each request. If one job fails
for a reason of its own, the batch is rolled back and each job re-run alone, so only
that request gets the error. Durability is unchanged — a
2xx still means committed — but the cost of a transaction is shared by the batch and
writers never queue on the database's write lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.intake.batch import Batch
from firebell.intake.ingest import buffered_writes
from firebell.store.db import INTAKE_LOCK, serialize, transaction

log = logging.getLogger("firebell.intake.writer")
Work = Callable[[Session, datetime, Batch], Any]


@dataclass
class _Job:
    work: Work
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass
class IntakeWriter:
    sessions: sessionmaker[Session]
    clock: Clock
    max_batch: int = 256
    # After the first job, wait this long for more: under load, batches grow and one
    # commit serves many requests; when idle it adds at most this much latency.
    linger: float = 0.001
    # Called once per batch before its jobs, with the jobs' work: a place to load in one
    # query what every job would otherwise query for itself.
    prepare: Callable[[Session, list[Work], Batch], None] | None = None
    _queue: queue.Queue[_Job | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if not self.running:
            self._thread = threading.Thread(target=self._run, name="firebell-intake", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    async def submit(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Job(work, loop, future))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.linger
            while len(batch) < self.max_batch:
                try:
                    job = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(job)
            self._write(batch)

    def _write(self, batch: list[_Job]) -> None:
        try:
            outcomes = self._together(batch)
        except _JobFailed:
            # A job failed for a reason of its own (not the database): the batch was rolled
            # back; run each job alone so only that one answers with an error.
            for job in batch:
                try:
                    result = self._together([job])
                except _JobFailed as failed:
                    _settle(job, False, failed.error)
                except Exception as exc:
                    _settle(job, False, exc)
                else:
                    _settle(job, True, result[0])
            return
        except Exception as exc:  # the database failed: every request answers 503
            for job in batch:
                _settle(job, False, exc)
            return
        for job, value in zip(batch, outcomes, strict=True):
            _settle(job, True, value)

    def _together(self, batch: list[_Job]) -> list[Any]:
        outcomes: list[Any] = []
        with transaction(self.sessions) as session:
            serialize(session, INTAKE_LOCK)  # across processes, then read the clock:
            now = self.clock.now()  # events are never stamped before what they follow
            shared = Batch()  # shared by the batch: open alerts, silences, incidents
            if self.prepare is not None:
                self.prepare(session, [job.work for job in batch], shared)
            with buffered_writes(session, shared):
                for job in batch:
                    try:
                        outcomes.append(job.work(session, now, shared))
                    except SQLAlchemyError:
                        raise
                    except Exception as exc:
                        log.exception("intake job failed")
                        raise _JobFailed(exc) from exc
        return outcomes


class _JobFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _settle(job: _Job, ok: bool, value: Any) -> None:
    def apply() -> None:
        if job.future.done():
            return
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)

    job.loop.call_soon_threadsafe(apply)
