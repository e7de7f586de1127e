"""Real receivers and a reachable test playbook for the paging engine's proof tests.

Nothing here is a mock: pages leave firebell through its real channels and arrive at a
real HTTP server or a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from ruamel.yaml import YAML
from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.channels.email import SmtpSettings
from firebell.clock import Clock
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.models import Message, Timer

PAGING_PURPOSES = ("page", "admin")  # the paging engine's outbox rows
ALICE = Principal("alice", "responder")
ROOT = Principal("root", "admin")

# Who the default rotations put on call at tests/conftest.py START (2026-11-26 12:00 UTC).
PRIMARY = "primary-engineer-3"
SECONDARY = "secondary-engineer-2"
TEAM_LEAD = "team-lead-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- HTTP receiver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered (0: it hung up without answering)

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def person(self) -> str:
        return self.path.strip("/")

    @property
    def message_id(self) -> int:
        return int(self.headers["x-firebell-message"])


@dataclass
class HttpReceiver:
    """Records every request; answers 200 unless scripted. A script entry is an HTTP
    status, or a float: sleep that many seconds first (to make the sender time out)."""

    server: ThreadingHTTPServer
    hits: list[Hit] = field(default_factory=list)
    scripts: dict[str, list[int | float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called with the request path before the answer: e.g. to let time pass meanwhile.
    on_request: Callable[[str], None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, person: str, answers: list[int | float]) -> None:
        with self.lock:
            self.scripts["/" + person] = list(answers)

    def next_answer(self, path: str) -> int | float:
        with self.lock:
            queue = self.scripts.get(path)
            return queue.pop(0) if queue else 200

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def paging_hits(self) -> list[Hit]:
        """Every request carrying a page or admin alert, whatever the answer."""
        with self.lock:
            return [h for h in self.hits if h.json.get("purpose") in PAGING_PURPOSES]

    def delivered(self) -> list[Hit]:
        """Pages (and admin alerts) answered 2xx: what the paging engine got through.
        Other features' messages (status updates, reminders, hand-offs) are left out."""
        with self.lock:
            return [
                h
                for h in self.hits
                if 200 <= h.status < 300 and h.json.get("purpose") in PAGING_PURPOSES
            ]

    def people(self) -> list[str]:
        return [h.person for h in self.delivered()]

    def wait_for(self, predicate: Callable[[list[Hit]], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.delivered()):
                return
            time.sleep(0.02)
        raise AssertionError(f"receiver never saw what was expected; got {self.people()}")


@dataclass
class _HandlerState:
    receiver: HttpReceiver | None = None


def start_http_receiver() -> HttpReceiver:
    state = _HandlerState()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert state.receiver is not None
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = state.receiver.next_answer(self.path)
            if state.receiver.on_request is not None:
                state.receiver.on_request(self.path)
            if isinstance(answer, float):
                time.sleep(answer)
                state.receiver.record(Hit(self.path, headers, body, 0))
                return  # the sender has given up by now
            state.receiver.record(Hit(self.path, headers, body, answer))
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = HttpReceiver(server)
    state.receiver = receiver
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return receiver


def http_receiver() -> Iterator[HttpReceiver]:
    receiver = start_http_receiver()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


# --- SMTP receiver ------------------------------------------------------------------------


@dataclass
class SmtpReceiver:
    controller: Controller
    messages: list[EmailMessage] = field(default_factory=list)

    @property
    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.controller.port, timeout=5)


class _Recorder:
    def __init__(self, sink: list[EmailMessage]) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Test-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.sink.append(message)
        return "250 OK"


def smtp_receiver() -> Iterator[SmtpReceiver]:
    sink: list[EmailMessage] = []
    controller = Controller(_Recorder(sink), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpReceiver(controller, sink)
    finally:
        controller.stop()


# --- the playbook -------------------------------------------------------------------------


@functools.cache
def _default_document() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(io.StringIO(default_playbook_text()))
    return loaded


def playbook_document(receiver_url: str | None) -> dict[str, Any]:
    """The default playbook, with every person real and reachable: a webhook at
    `<receiver>/<person id>`, an email `<person id>@example.test`, and webhook pages only."""
    doc = copy.deepcopy(_default_document())
    for person in doc["people"]:
        person["email"] = f"{person['id']}@example.test"
        person["example"] = False  # reachable: firebell never pages an example contact
        if receiver_url is not None:
            person["webhook_url"] = f"{receiver_url}/{person['id']}"
    doc["on_call"]["default_notification_rules"] = [
        {"method": "webhook", "delay": "0m", "urgency": "any"}
    ]
    return doc


def add_policy(
    doc: dict[str, Any],
    policy_id: str,
    levels: list[dict[str, Any]],
    *,
    repeat: int = 0,
    repeat_after: str = "15m",
) -> str:
    """Add an escalation policy and a service using it; returns the service id."""
    doc["escalation_policies"].append(
        {
            "id": policy_id,
            "name": f"test policy {policy_id}",
            "repeat": repeat,
            "repeat_after": repeat_after,
            "levels": levels,
        }
    )
    service = f"svc-{policy_id}"
    doc["services"].append(
        {"id": service, "name": service, "owner_team": "platform", "escalation_policy": policy_id}
    )
    return service


def level(name: str, delay: str, *people: str, strategy: str = "notify_all") -> dict[str, Any]:
    return {
        "name": name,
        "delay": delay,
        "targets": [{"type": "person", "id": p} for p in people],
        "strategy": strategy,
    }


def write_playbook(doc: dict[str, Any], path: Path) -> Path:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    text = buffer.getvalue()
    path.write_text(text, encoding="utf-8")
    return path


def make_runtime(
    tmp_path: Path,
    database_url: str,
    clock: Clock,
    doc: dict[str, Any],
    smtp: SmtpSettings | None = None,
) -> Runtime:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_playbook(doc, tmp_path / "playbook.yaml")
    settings = Settings(home=tmp_path, database_url=database_url, playbook_path=path, smtp=smtp)
    return build_runtime(settings, clock, migrate=False)


# --- reading back -------------------------------------------------------------------------


def declare(rt: Runtime, severity: str, service: str | None = None, title: str = "Boom") -> int:
    return rt.incidents.declare(Declaration(title, severity, service=service), ALICE).id


def events(rt: Runtime, number: int, *kinds: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e.kind, e.details)
        for e in rt.incidents.timeline(number, ROOT)
        if not kinds or e.kind in kinds
    ]


def kinds(rt: Runtime, number: int, *only: str) -> list[str]:
    return [k for k, _ in events(rt, number, *only)]


def paged_levels(rt: Runtime, number: int) -> list[tuple[int, int, list[str]]]:
    """(pass, level, people) of every level_paged event, 1-based, in order."""
    return [(d["pass"], d["level"], d["people"]) for _, d in events(rt, number, "level_paged")]


def messages(rt: Runtime, number: int | None = None) -> list[Message]:
    """The escalation policy's outbox rows (pages and admin alerts), leaving out the
    one-off notifications of SLA breaches (dedupe keys `notify-sla-…`)."""
    with rt.sessions() as session:
        query = (
            select(Message)
            .where(Message.purpose.in_(PAGING_PURPOSES), ~Message.dedupe_key.like("notify-%"))
            .order_by(Message.id)
        )
        if number is not None:
            query = query.where(Message.incident_id == number)
        return list(session.scalars(query))


def timers(rt: Runtime, number: int) -> list[Timer]:
    """The incident's escalation timers."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Timer)
                .where(Timer.incident_id == number, Timer.kind == "escalate")
                .order_by(Timer.id)
            )
        )
