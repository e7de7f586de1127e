"""The seed's P3 "ticket only": declaring a P3 opens a Jira ticket through the outbox."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.channels.registry import ChannelSettings, JiraSettings
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.runtime import build_runtime
from firebell.store.models import TimelineEvent


def test_p3_declaration_opens_a_jira_ticket(
    database_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    class Jira(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((self.path, json.loads(body)))
            answer = b'{"id": "1", "key": "OPS-1", "self": "x"}'
            self.send_response(201)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jira)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    jira = JiraSettings(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        email="ops@example.com",
        api_token=SecretStr("t"),
    )
    rt = build_runtime(
        Settings(
            home=tmp_path,
            database_url=database_url,
            playbook_path=None,
            channels=ChannelSettings(jira=jira),
        ),
        clock,
        migrate=False,
    )
    try:
        number = rt.incidents.declare(
            Declaration(title="Docs out of date", severity="P3", summary="runbook links"),
            Principal("alice", "responder"),
        ).id
        rt.engine.run_once()
        [(path, body)] = received
        assert path == "/rest/api/2/issue"
        assert body["fields"]["project"] == {"key": "OPS"}
        assert body["fields"]["summary"] == f"[P3] #{number} Docs out of date"
        assert body["fields"]["priority"] == {"name": "Low"}
        with rt.sessions() as s:
            kinds = list(
                s.scalars(select(TimelineEvent.kind).where(TimelineEvent.incident_id == number))
            )
        assert "ticket_requested" in kinds and "message_sent" in kinds
        assert "paging_started" not in kinds  # a ticket, not a page
    finally:
        rt.close()
        server.shutdown()
        server.server_close()
