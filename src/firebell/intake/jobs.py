"""Intake storage work as jobs for the group-commit writer (`intake.writer`).

The HTTP routes parse a request and hand its events here; nothing about storage lives in
the HTTP layer. A request with many alerts is cut into jobs of at most `JOB_SIZE`
events, each committed in its own (bounded) transaction in order, so other requests'
work is committed between them and nobody waits for the whole payload. Every part is
committed before the 2xx; a sender that retries after a failure finds the parts already
done unchanged (resolving a resolved alert does nothing, a firing one is deduplicated).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from firebell.intake import heartbeats
from firebell.intake.batch import Batch
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.ingest import Ingestor, Outcome, buffered_writes, identity
from firebell.intake.integrations import LiveIntegration
from firebell.intake.writer import Work
from firebell.runtime import Runtime
from firebell.store.db import INTAKE_LOCK, serialize, transaction

JOB_SIZE = 100  # events per transaction: each holds the write lock briefly
MIN_PAUSE, MAX_PAUSE = 0.1, 0.25  # seconds between the parts of a big request (SQLite polls 100 ms)


class IngestJob:
    """The storage work of (part of) one intake request. `identities` lets the writer
    load the open alerts the batch will update in one query; resolves need no loading
    (they are set-based UPDATEs)."""

    def __init__(
        self,
        ingestor: Ingestor,
        integration: LiveIntegration,
        events: list[AlertEvent],
        group: GroupEvent | None,
    ) -> None:
        self.ingestor, self.integration, self.events, self.group = (
            ingestor,
            integration,
            events,
            group,
        )
        self.identities = [identity(integration.id, e) for e in events if e.action != "resolve"]

    def __call__(self, session: Session, now: datetime, batch: Batch) -> Outcome:
        return self.ingestor.ingest(session, self.integration, self.events, now, self.group, batch)


def prefetch(session: Session, works: list[Work], batch: Batch) -> None:
    """The writer's batch preparation (see IntakeWriter.prepare)."""
    identities = [i for w in works if isinstance(w, IngestJob) for i in w.identities]
    Ingestor.prefetch(session, identities, batch)


def _alone(runtime: Runtime, work: Work) -> Any:
    """Without the group-commit writer (it starts with the app): a transaction of its own."""
    with transaction(runtime.sessions) as session:
        serialize(session, INTAKE_LOCK)
        batch = Batch()
        with buffered_writes(session, batch):
            return work(session, runtime.clock.now(), batch)


async def run(runtime: Runtime, work: Work) -> Any:
    """Commit one piece of work (raises SQLAlchemyError if the database failed)."""
    if runtime.intake_writer.running:
        return await runtime.intake_writer.submit(work)
    return await run_in_threadpool(_alone, runtime, work)


async def store(
    runtime: Runtime,
    integration: LiveIntegration,
    events: list[AlertEvent],
    group: GroupEvent | None = None,
) -> Outcome:
    """Store a request's events, `JOB_SIZE` at a time, each part committed in order.

    Between two parts the request steps aside for as long as the last part took (at
    most `MAX_PAUSE`): SQLite's busy handler polls for the write lock with growing
    sleeps, so a writer that takes the lock back at once would starve a declaration
    waiting for it. Half the write time stays free for everyone else."""
    outcome = Outcome()
    parts = [events[i : i + JOB_SIZE] for i in range(0, len(events), JOB_SIZE)] or [[]]
    for index, part in enumerate(parts):
        started = time.monotonic()
        done: Outcome = await run(runtime, IngestJob(runtime.ingestor, integration, part, group))
        outcome.add(done)
        if index + 1 < len(parts):
            await asyncio.sleep(min(max(time.monotonic() - started, MIN_PAUSE), MAX_PAUSE))
    return outcome


async def ping(runtime: Runtime, integration: LiveIntegration) -> Outcome:
    """A heartbeat ping, through the same writer."""

    def work(session: Session, now: datetime, batch: Batch) -> Outcome:
        return heartbeats.ping(session, runtime.ingestor, integration, now, batch)

    result: Outcome = await run(runtime, work)
    return result
