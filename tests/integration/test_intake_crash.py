"""Intake answers 2xx only for what is durably stored.

* SQLite: a stream of PagerDuty events, the server SIGKILLed in the middle of it, then
  restarted: every event that got a 202 is in the database, and nothing is half-written.
* PostgreSQL: with the database unreachable an event gets 503 (never 202); once it is
  reachable again the next event gets 202.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from ._support import Firebell, pagerduty_key, trigger, wait_for
from .conftest import PgFirebell

pytestmark = pytest.mark.slow

# Accepted events before the SIGKILL. Each distinct dedup_key is its own sender group, so
# each event opens (declares, links, pages) an incident of its own: a few per second.
KILL_AFTER = 100


@dataclass
class Sender:
    """Posts triggers one at a time until the server goes away; records every 202."""

    url: str
    routing_key: str
    accepted: list[str] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    stopped_by: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            for n in range(100_000):
                if self.stop.is_set():
                    return
                key = f"crash-{n:06d}"
                try:
                    response = client.post("/v2/enqueue", json=trigger(self.routing_key, key))
                except httpx.TransportError as exc:  # the server died under us
                    self.stopped_by = exc
                    return
                if response.status_code == 202 and response.json()["dedup_key"] == key:
                    self.accepted.append(key)
                else:
                    self.refused.append((key, response.status_code, response.text))


def test_sigkill_loses_no_accepted_event_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = Firebell(home)
    try:
        routing_key = pagerduty_key(first)
        sender = Sender(first.url, routing_key)
        thread = threading.Thread(target=sender.run, name="pd-sender", daemon=True)
        thread.start()
        try:
            wait_for(
                lambda: len(sender.accepted) >= KILL_AFTER or not thread.is_alive(),
                f"{KILL_AFTER} accepted events",
                timeout=90,
                log=first.log,
            )
            first.kill()  # SIGKILL while the sender is mid-stream
        finally:
            sender.stop.set()
            thread.join(timeout=15)
    finally:
        first.kill()
    assert not thread.is_alive()
    assert sender.refused == []
    assert isinstance(sender.stopped_by, httpx.TransportError), "the kill did not interrupt"
    accepted = list(sender.accepted)
    assert len(accepted) >= KILL_AFTER

    second = Firebell(home)  # same FIREBELL_HOME, same SQLite file
    try:
        stored = [
            key
            for (key,) in second.query(
                "SELECT dedup_key FROM alerts WHERE integration = 'pagerduty' ORDER BY id"
            )
        ]
        missing = sorted(set(accepted) - set(stored))
        assert missing == [], f"{len(missing)} events answered 202 are not stored: {missing[:5]}"
        # At most the one in flight at the kill was stored without its answer.
        assert len(stored) == len(set(stored))
        assert len(stored) - len(accepted) in (0, 1)
        assert stored[: len(accepted)] == accepted  # in the order they were answered
        assert_nothing_half_written(second)

        # The restarted server takes new events: its own incident (its own sender group),
        # linked to the service's open incident.
        with httpx.Client(base_url=second.url, timeout=10) as client:
            response = client.post("/v2/enqueue", json=trigger(routing_key, "after-restart"))
        assert response.status_code == 202, response.text
        [(incident,)] = second.query(
            "SELECT incident_id FROM alerts WHERE dedup_key = 'after-restart'"
        )
        assert incident is not None
        assert second.query(
            "SELECT reason FROM incident_links WHERE incident_id = ?", incident
        ) == [("same_service",)]
    finally:
        second.stop()


def assert_nothing_half_written(firebell: Firebell) -> None:
    assert firebell.query("PRAGMA integrity_check") == [("ok",)]
    assert firebell.query("PRAGMA foreign_key_check") == []
    orphans = firebell.query(
        "SELECT id, dedup_key FROM alerts "
        "WHERE status = 'triggered' AND incident_id IS NULL AND silenced_by IS NULL"
    )
    assert orphans == [], "triggered alerts with neither an incident nor a silence"
    undeclared = firebell.query(
        "SELECT id FROM incidents WHERE id NOT IN "
        "(SELECT incident_id FROM timeline_events WHERE kind = 'declared')"
    )
    assert undeclared == [], "incidents without their 'declared' timeline event"
    # Every stored alert's attachment is on its incident's timeline, and vice versa.
    attached = {
        (incident_id, json.loads(details)["dedup_key"])
        for incident_id, details in firebell.query(
            "SELECT incident_id, details FROM timeline_events "
            "WHERE kind IN ('classified', 'alert_attached')"
        )
    }
    alerts = set(
        firebell.query("SELECT incident_id, dedup_key FROM alerts WHERE incident_id IS NOT NULL")
    )
    assert alerts == attached


# --- PostgreSQL: database unavailable → 503, never 202 ---------------------------------------


def set_reachable(pg: PgFirebell, reachable: bool) -> None:
    """Close our database to new connections and cut the open ones (or reopen it)."""
    with pg.admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {pg.name} ALLOW_CONNECTIONS {str(reachable).lower()}"))
        if not reachable:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": pg.name},
            )


def backends(pg: PgFirebell) -> int:
    with pg.admin.connect() as conn:
        count: int = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"), {"name": pg.name}
        ).scalar_one()
        return count


@pytest.mark.postgres
def test_postgres_unavailable_answers_503_never_202(pg_firebell: PgFirebell) -> None:
    pg = pg_firebell
    routing_key = pagerduty_key(pg.firebell)
    run = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=pg.firebell.url, timeout=15) as client:

        def send(key: str) -> httpx.Response:
            return client.post("/v2/enqueue", json=trigger(routing_key, f"{run}-{key}"))

        first = send("before")
        assert first.status_code == 202, first.text

        set_reachable(pg, False)
        try:
            wait_for(lambda: backends(pg) == 0, "firebell's connections to be gone")
            refused = [send(f"down-{n}") for n in range(3)]
            ready = client.get("/readyz")
        finally:
            set_reachable(pg, True)
        for response in refused:
            assert response.status_code == 503, (response.status_code, response.text)
            assert response.headers["retry-after"] == "5"
            body = response.json()
            assert body["status"] == "error"
            assert "database is unavailable" in body["message"]
        assert ready.status_code == 503, ready.text

        after = send("after")
        assert after.status_code == 202, after.text

    stored = pg.scalars("SELECT dedup_key FROM alerts WHERE dedup_key LIKE :run", run=f"{run}-%")
    assert sorted(stored) == [f"{run}-after", f"{run}-before"]
