"""The console as a paging method: how long from a page to its showing in an open console.

    python bench/console_pages.py [--db sqlite,postgres] [--pages 40] [--backlog 20000]

* page delay (incident declared -> the page read from `/console/pages/live`): p99 < 2 s
  (the stream looks for waiting pages every second)
* confirming it shown (`POST /console/pages/{id}/shown`): p95 < 50 ms
* the waiting-pages query with `--backlog` delivered messages in the outbox: p95 < 10 ms

A real server on loopback (uvicorn in a thread of this process) and an HTTP client.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from _common import Targets, free_port, machine, pct, pg_database
from ruamel.yaml import YAML

from firebell.api.app import create_app
from firebell.auth.principal import Principal
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction
from firebell.store.models import Message
from firebell.web.accounts import SETUP_PATH, Accounts

PASSWORD = "bench password 1234"
ALICE = Principal("alice", "responder")
PERSON = "primary-engineer-1"


def playbook(path: Path) -> tuple[Path, str]:
    """The default playbook with real people; PERSON is paged only in the console."""
    yaml = YAML(typ="safe")
    doc: dict[str, Any] = yaml.load(io.StringIO(default_playbook_text()))
    for person in doc["people"]:
        person["example"] = False
        person["email"] = f"{person['id']}@bench.test"
        if person["id"] == PERSON:
            person["notification_rules"] = [{"method": "console", "delay": "0m"}]
    doc["escalation_policies"].append(
        {
            "id": "bench-console",
            "name": "bench console",
            "repeat": 0,
            "levels": [
                {"name": "on call", "delay": "0m", "targets": [{"type": "person", "id": PERSON}]}
            ],
        }
    )
    doc["services"].append(
        {
            "id": "bench-svc",
            "name": "bench",
            "owner_team": "platform",
            "escalation_policy": "bench-console",
        }
    )
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path, "bench-svc"


@contextlib.contextmanager
def server(database_url: str, home: Path, book: Path) -> Iterator[tuple[str, Runtime]]:
    port = free_port()
    settings = Settings(home=home, database_url=database_url, playbook_path=book, port=port)
    runtime = build_runtime(settings)
    srv = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", runtime
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def backlog(runtime: Runtime, count: int) -> None:
    """Delivered messages to everyone (console ones to PERSON too): the history a busy
    install's outbox holds, which the waiting-pages query must not scan."""
    now = runtime.clock.now() - timedelta(days=1)
    with transaction(runtime.sessions) as session:
        for n in range(count):
            console = n % 4 == 0
            session.add(
                Message(
                    incident_id=None,
                    purpose="page",
                    person=PERSON if console else f"someone-{n % 50}",
                    method="console" if console else "email",
                    address=f"console:{PERSON}" if console else f"p{n % 50}@bench.test",
                    subject="old",
                    body="old",
                    payload={},
                    dedupe_key=f"bench-backlog-{n}",
                    status="sent",
                    attempts=1,
                    not_before=now,
                    created_at=now,
                    sent_at=now,
                    priority=1,
                )
            )


def run(db: str, args: argparse.Namespace, targets: Targets) -> None:
    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{home / 'bench.db'}"
        if db == "postgres":
            url = stack.enter_context(pg_database("console_pages"))
        book, service = playbook(home / "playbook.yaml")
        base, runtime = stack.enter_context(server(url, home, book))
        accounts = Accounts(
            runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
        )
        _, link = accounts.add("alice", "responder", PERSON)
        accounts.set_password(link.split(SETUP_PATH, 1)[1], PASSWORD)
        backlog(runtime, args.backlog)

        query, query_cpu = [], []
        for _ in range(200):
            start, start_cpu = time.perf_counter(), time.process_time()
            runtime.console_pages.waiting(PERSON)
            query.append((time.perf_counter() - start) * 1000)
            query_cpu.append((time.process_time() - start_cpu) * 1000)

        client = httpx.Client(base_url=base, timeout=30)
        client.post("/console/sign-in", data={"name": "alice", "password": PASSWORD})
        page = client.get("/console/pages").text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        arrived: queue.Queue[tuple[float, int]] = queue.Queue()
        stop = threading.Event()

        def listen() -> None:
            with client.stream("GET", "/console/pages/live", timeout=120) as response:
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        arrived.put((time.perf_counter(), json.loads(line[6:])["id"]))
                    if stop.is_set():
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)
        delays, confirms, confirms_cpu = [], [], []
        poster = httpx.Client(base_url=base, timeout=30, cookies=client.cookies)
        for n in range(args.pages):
            start = time.perf_counter()
            runtime.incidents.declare(Declaration(f"bench {n}", "P1", service), ALICE)
            try:
                at, message_id = arrived.get(timeout=10)
            except queue.Empty:
                delays.append(10_000.0)
                continue
            delays.append((at - start) * 1000)
            t0, t0_cpu = time.perf_counter(), time.process_time()
            answer = poster.post(f"/console/pages/{message_id}/shown", data={"csrf": csrf})
            confirms.append((time.perf_counter() - t0) * 1000)
            confirms_cpu.append((time.process_time() - t0_cpu) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"shown refused: {answer.status_code} {answer.text}")
            time.sleep(0.1 + (n % 7) * 0.13)  # land at different points of the poll cycle
        stop.set()
        runtime.incidents.declare(Declaration("bye", "P1", service), ALICE)  # wakes the reader
        listener.join(timeout=5)
        poster.close()
        client.close()
        print(
            f"[{db}] page delay: p50 {pct(delays, 50):.0f} ms, p99 {pct(delays, 99):.0f} ms, "
            f"max {max(delays):.0f} ms over {len(delays)} pages"
        )
        print(
            f"[{db}] shown confirmation: p50 {pct(confirms, 50):.1f} ms, "
            f"p95 {pct(confirms, 95):.1f} ms; CPU (server and client) p50 "
            f"{pct(confirms_cpu, 50):.1f} ms, p95 {pct(confirms_cpu, 95):.1f} ms"
        )
        print(
            f"[{db}] waiting-pages query ({args.backlog} messages in the outbox): p50 "
            f"{pct(query, 50):.2f} ms, p95 {pct(query, 95):.2f} ms; CPU p50 "
            f"{pct(query_cpu, 50):.2f} ms, p95 {pct(query_cpu, 95):.2f} ms"
        )
        print(f"[{db}] load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        targets.check(f"{db} page delay p99", pct(delays, 99), "<", 2000, " ms")
        targets.check(f"{db} shown confirmation p95", pct(confirms, 95), "<", 50, " ms")
        targets.check(f"{db} waiting query p95", pct(query, 95), "<", 10, " ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--backlog", type=int, default=20_000)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    for db in args.db.split(","):
        run(db.strip(), args, targets)
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
