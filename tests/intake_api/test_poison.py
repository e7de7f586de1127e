"""One bad event fails alone (issue 9): a poison event sharing a group-commit batch with 99
good ones gets a 400 naming the reason; the 99 are stored and answered 2xx. On SQLite and
PostgreSQL, through the real app and its real group-commit writer."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.api.app import create_app
from firebell.api.routes import intake as intake_routes
from firebell.intake.ingest import Ingestor
from firebell.runtime import Runtime
from firebell.store.models import Alert

GOOD = 99
BAD_TEXT = {"NUL": "disk \u0000 full", "surrogate": "disk \ud800 full"}


def pd_event(runtime: Runtime, n: int, summary: str) -> bytes:
    event = {
        "routing_key": runtime.integrations.by_id["pagerduty"].key,
        "event_action": "trigger",
        "dedup_key": f"poison-test-{n}",
        "payload": {"summary": summary, "source": f"host-{n}", "severity": "error"},
    }
    # ensure_ascii: the lone surrogate travels as the JSON escape \ud800, as senders write it
    return json.dumps(event).encode()


def stored_alerts(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


@pytest.fixture
def app(runtime: Runtime) -> Iterator[FastAPI]:
    application = create_app(runtime)
    with TestClient(application):  # runs the lifespan: the group-commit writer is running
        assert runtime.intake_writer.running
        yield application


class HeldWriter:
    """Keep the writer busy in a job of its own until `release`, so that everything sent
    meanwhile queues up and is written as one batch."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.entered = threading.Event()
        self.released = threading.Event()

    def work(self, _session: Session, _now: datetime, _cache: dict[str, Any]) -> None:
        self.entered.set()
        assert self.released.wait(30), "the test never released the writer"

    def queued(self) -> int:
        return self.runtime.intake_writer._queue.qsize()


async def send_batch(
    app: FastAPI, runtime: Runtime, bodies: list[bytes]
) -> tuple[list[httpx.Response], int]:
    """The answers, and how many requests reached the writer's one batch."""
    held = HeldWriter(runtime)
    blocker = asyncio.ensure_future(runtime.intake_writer.submit(held.work))
    assert await asyncio.to_thread(held.entered.wait, 10)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://firebell") as client:
        sends = [
            asyncio.ensure_future(
                client.post("/v2/enqueue", content=b, headers={"content-type": "application/json"})
            )
            for b in bodies
        ]
        deadline = time.monotonic() + 20
        # every request is either answered at the edge or waiting in the writer's queue
        while sum(s.done() for s in sends) + held.queued() < len(bodies):
            assert time.monotonic() < deadline, "requests did not reach the writer"
            await asyncio.sleep(0.01)
        in_batch = held.queued()
        held.released.set()
        await blocker
        responses = await asyncio.gather(*sends)
    return list(responses), in_batch


def bodies_with_poison(runtime: Runtime, bad: str) -> tuple[list[bytes], int]:
    poison_at = 37
    bodies = [pd_event(runtime, n, f"disk full on host-{n}") for n in range(GOOD)]
    bodies.insert(poison_at, pd_event(runtime, 1000, bad))
    return bodies, poison_at


def check_outcome(runtime: Runtime, responses: list[httpx.Response], poison_at: int) -> str:
    statuses = [r.status_code for r in responses]
    assert statuses[poison_at] == 400, responses[poison_at].text
    assert statuses.count(202) == GOOD, statuses
    assert stored_alerts(runtime) == GOOD
    reason: str = responses[poison_at].json()["message"]
    return reason


@pytest.mark.parametrize("kind", sorted(BAD_TEXT))
def test_poison_refused_at_the_edge(app: FastAPI, runtime: Runtime, kind: str) -> None:
    bodies, poison_at = bodies_with_poison(runtime, BAD_TEXT[kind])
    responses, in_batch = asyncio.run(send_batch(app, runtime, bodies))
    assert in_batch == GOOD  # the poison never reached the shared batch
    check_outcome(runtime, responses, poison_at)
    [error] = responses[poison_at].json()["errors"]
    assert error.startswith("'payload.summary' contains")
    assert ("NUL" in error) == (kind == "NUL") and ("surrogate" in error) == (kind != "NUL")


def test_poison_that_passes_the_edge_fails_alone_in_the_writer(
    app: FastAPI, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: with the edge check switched off, the lone surrogate reaches the
    shared batch; the writer bisects it out and answers it alone."""
    monkeypatch.setattr(intake_routes, "load_json", json.loads)
    bodies, poison_at = bodies_with_poison(runtime, BAD_TEXT["surrogate"])
    responses, in_batch = asyncio.run(send_batch(app, runtime, bodies))
    assert in_batch == GOOD + 1  # all of them, the poison included, in one batch
    reason = check_outcome(runtime, responses, poison_at)
    assert "the event was refused" in reason and "surrogate" in reason
    with runtime.sessions() as session:
        keys = set(session.scalars(select(Alert.dedup_key)))
    assert "poison-test-1000" not in keys and len(keys) == GOOD


def test_a_database_that_is_down_answers_503(
    app: FastAPI, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503 (retry) only when the database really is unavailable, and then for everyone."""
    from sqlalchemy.exc import OperationalError

    def down(_session: Session, identities: list[Any], _cache: dict[str, Any]) -> None:
        if identities:  # not the test's own blocker: the database "goes away" after it
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(Ingestor, "prefetch", staticmethod(down))
    bodies = [pd_event(runtime, n, "fine") for n in range(5)]
    responses, _ = asyncio.run(send_batch(app, runtime, bodies))
    assert [r.status_code for r in responses] == [503] * 5
    assert all(r.headers["retry-after"] for r in responses)
    assert stored_alerts(runtime) == 0


DEEP = ("[" * 1000 + "]" * 1000).encode()


def test_deep_nesting_is_a_400_problem_on_every_keyed_format(
    app: FastAPI, runtime: Runtime
) -> None:
    with TestClient(app) as client:
        for fmt in ("alertmanager", "grafana", "generic"):
            url = f"/api/v1/intake/{fmt}/{runtime.integrations.by_id[fmt].key}"
            r = client.post(url, content=DEEP, headers={"content-type": "application/json"})
            assert r.status_code == 400, (fmt, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert "nested more than" in r.json()["errors"][0]["reason"]
        pd = client.post("/v2/enqueue", content=DEEP)
        assert pd.status_code == 400 and "nested more than" in pd.json()["errors"][0]
        og = client.post(
            "/v2/alerts",
            content=DEEP,
            headers={"Authorization": f"GenieKey {runtime.integrations.by_id['opsgenie'].key}"},
        )
        assert og.status_code == 400 and "nested more than" in og.json()["message"]
    assert stored_alerts(runtime) == 0


def test_without_the_writer_a_poison_event_is_refused_alone_too(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path without group commit (the app not started) classifies failures the same way."""
    monkeypatch.setattr(intake_routes, "load_json", json.loads)
    client = TestClient(create_app(runtime))  # no `with`: no lifespan, no writer
    assert not runtime.intake_writer.running
    bad = client.post("/v2/enqueue", content=pd_event(runtime, 1, BAD_TEXT["surrogate"]))
    assert bad.status_code == 400 and "the event was refused" in bad.json()["message"]
    good = client.post("/v2/enqueue", content=pd_event(runtime, 2, "disk full"))
    assert good.status_code == 202 and stored_alerts(runtime) == 1
