"""Action items as Jira tickets against a local HTTP server that checks the exact
requests: creating an item opens a ticket; its status is read back on a schedule."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_token
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.channels.registry import ChannelSettings, JiraSettings
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.models import TimelineEvent

H = dict[str, str]
AUTH = "Basic " + base64.b64encode(b"bot@example.com:jira-secret").decode()


@dataclass
class FakeJira:
    requests: list[tuple[str, str, dict[str, Any] | None, str]] = field(default_factory=list)
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def jira() -> Iterator[tuple[FakeJira, str]]:
    state = FakeJira()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            with state.lock:
                state.requests.append(("POST", self.path, body, self.headers["Authorization"]))
                if state.fail_next:
                    state.fail_next -= 1
                    self._answer(503, {"errorMessages": ["down"]})
                    return
                key = f"OPS-{len(state.statuses) + 1}"
                state.statuses[key] = ("To Do", "new")
            self._answer(201, {"id": "1", "key": key, "self": f"/rest/api/2/issue/{key}"})

        def do_GET(self) -> None:
            key = self.path.split("?")[0].rsplit("/", 1)[-1]
            with state.lock:
                state.requests.append(("GET", self.path, None, self.headers["Authorization"]))
                name, category = state.statuses[key]
            self._answer(
                200,
                {
                    "key": key,
                    "fields": {"status": {"name": name, "statusCategory": {"key": category}}},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def jira_runtime(
    database_url: str, tmp_path: Path, clock: FrozenClock, jira: tuple[FakeJira, str]
) -> Iterator[tuple[Runtime, TestClient, H]]:
    document = yaml.safe_load(default_playbook_text())
    document["learning"] = {"action_item_ticket_project": "OPS", "ticket_sync_interval": "30m"}
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(document))
    channels = ChannelSettings(
        jira=JiraSettings(
            base_url=jira[1], email="bot@example.com", api_token=SecretStr("jira-secret")
        )
    )
    settings = Settings(
        home=tmp_path, database_url=database_url, playbook_path=path, channels=channels
    )
    runtime = build_runtime(settings, clock, migrate=False)
    headers = {"Authorization": f"Bearer {make_token(runtime, 'responder', 'alice')}"}
    with TestClient(create_app(runtime)) as client:
        yield runtime, client, headers
    runtime.close()


def test_ticket_opened_and_status_read_back(
    jira_runtime: tuple[Runtime, TestClient, H], jira: tuple[FakeJira, str], clock: FrozenClock
) -> None:
    runtime, client, headers = jira_runtime
    fake = jira[0]
    number = client.post(
        "/api/v1/incidents", json={"title": "DB", "severity": "P2"}, headers=headers
    ).json()["id"]
    item = client.post(
        f"/api/v1/incidents/{number}/action-items",
        json={
            "category": "prevent",
            "title": "Raise  the pool size",
            "owner": "dba",
            "priority": "P1",
        },
        headers=headers,
    ).json()
    assert item["ticket"]["status"] == "requested"

    fake.fail_next = 1
    assert runtime.ticket_sync.run_once() == 1  # Jira down: retried later, not lost
    assert (
        client.get(f"/api/v1/incidents/{number}/action-items", headers=headers).json()["items"][0][
            "ticket"
        ]["status"]
        == "requested"
    )
    clock.advance(timedelta(minutes=2))
    runtime.ticket_sync.run_once()

    posts = [r for r in fake.requests if r[0] == "POST"]
    assert len(posts) == 2
    _method, path, body, auth = posts[-1]
    assert (path, auth) == ("/rest/api/2/issue", AUTH)
    assert body == {
        "fields": {
            "project": {"key": "OPS"},
            "summary": "Raise the pool size",
            "description": (
                f"Action item {item['id']} (prevent) from firebell incident #{number}.\n"
                "Owner: dba. Close this ticket when the work is done; firebell reads its "
                "status back."
            ),
            "issuetype": {"name": "Task"},
            "labels": ["firebell", "action-item"],
            "priority": {"name": "High"},
        }
    }
    got = client.get(f"/api/v1/incidents/{number}/action-items", headers=headers).json()
    ticket = got["items"][0]
    assert ticket["ticket"]["key"] == "OPS-1"
    assert ticket["links"] == [f"{jira[1]}/browse/OPS-1"]

    # Read back on schedule: nothing before the interval, then the new status.
    runtime.ticket_sync.run_once()
    assert not [r for r in fake.requests if r[0] == "GET"]
    fake.statuses["OPS-1"] = ("In Progress", "indeterminate")
    clock.advance(timedelta(minutes=31))
    runtime.ticket_sync.run_once()
    gets = [r for r in fake.requests if r[0] == "GET"]
    assert [(g[1], g[3]) for g in gets] == [("/rest/api/2/issue/OPS-1?fields=status", AUTH)]
    one = client.get(f"/api/v1/incidents/{number}/action-items", headers=headers).json()
    assert one["items"][0]["ticket"]["status"] == "In Progress"
    assert one["items"][0]["status"] == "open"

    fake.statuses["OPS-1"] = ("Done", "done")
    clock.advance(timedelta(minutes=31))
    runtime.ticket_sync.run_once()
    final = client.get(f"/api/v1/incidents/{number}/action-items", headers=headers).json()
    assert final["items"][0]["status"] == "done"
    with runtime.sessions() as s:
        kinds = list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == number)
                .order_by(TimelineEvent.id)
            )
        )
    assert "action_item_ticket_failed" in kinds and "action_item_ticket_opened" in kinds
    assert kinds[-1] == "action_item_updated"
