"""The web console's speed, through a real server on loopback.

    python bench/console.py [--db sqlite,postgres] [--requests 200] [--live 50]

* incident page with 1,000 timeline events, rendered server-side: p95 < 50 ms
* incidents page with 500 open incidents: p95 < 100 ms
* page weight (HTML + CSS + JS of the incident page, uncompressed): < 100 KB
* live update delay (a note written -> its event read from the page's SSE stream): p99 < 1 s

Times are measured by an HTTP client in the same machine (so they include HTTP and the
client's own work); the server runs in a thread of this process with uvicorn.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn
from _common import Targets, free_port, machine, pct, pg_database

from firebell.api.app import create_app
from firebell.auth.principal import Principal
from firebell.config import Settings
from firebell.incidents.service import Declaration, record
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction
from firebell.web.accounts import SETUP_PATH, Accounts

PASSWORD = "bench password 1234"
ALICE = Principal("alice", "responder")


@contextlib.contextmanager
def server(database_url: str, home: Path) -> Iterator[tuple[str, Runtime]]:
    port = free_port()
    settings = Settings(home=home, database_url=database_url, playbook_path=None, port=port)
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


def seed(runtime: Runtime, open_incidents: int, events: int) -> int:
    """`open_incidents` open incidents; the first has `events` timeline events."""
    accounts = Accounts(
        runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
    )
    _, link = accounts.add("alice", "responder", runtime.playbook.playbook.people[0].id)
    accounts.set_password(link.split(SETUP_PATH, 1)[1], PASSWORD)
    severities = ["P0", "P1", "P2", "P3"]
    with transaction(runtime.sessions) as session:
        now = runtime.clock.now()
        first = runtime.incidents.declare_in(
            session, Declaration("Checkout is down", "P1"), "alice", now
        )
        for n in range(open_incidents - 1):
            runtime.incidents.declare_in(
                session,
                Declaration(f"Incident number {n} with a longish title", severities[n % 4]),
                "alice",
                now,
            )
    number = first.id
    have = len(runtime.incidents.timeline(number, ALICE))
    with transaction(runtime.sessions) as session:
        for n in range(events - have):
            text = f"note {n}: checked the dashboards again"
            record(session, number, runtime.clock.now(), "alice", "note", {"text": text})
    return number


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    r = client.post("/console/sign-in", data={"name": "alice", "password": PASSWORD})
    if r.status_code not in (200, 303):
        raise SystemExit(f"sign-in failed: {r.status_code}")
    return client


def timed_gets(client: httpx.Client, path: str, count: int) -> tuple[list[float], list[float]]:
    """Wall-clock times and CPU times (this process: server and client) per request, ms.
    On a shared, oversubscribed machine the CPU time says what a request costs."""
    client.get(path).raise_for_status()  # warm
    times, cpu = [], []
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return times, cpu


def live_delays(base: str, runtime: Runtime, number: int, samples: int) -> list[float]:
    client = signed_in(base)
    arrived: queue.Queue[float] = queue.Queue()
    stop = threading.Event()
    last = runtime.incidents.timeline(number, ALICE)[-1].id

    def listen() -> None:
        with client.stream(
            "GET", f"/console/incidents/{number}/live?after={last}", timeout=60
        ) as response:
            for line in response.iter_lines():
                if line.startswith("event: change"):
                    arrived.put(time.perf_counter())
                if stop.is_set():
                    return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    time.sleep(0.5)
    delays = []
    for n in range(samples):
        start = time.perf_counter()
        runtime.incidents.add_note(number, f"live {n}", ALICE)
        try:
            delays.append((arrived.get(timeout=5) - start) * 1000)
        except queue.Empty:
            delays.append(5000.0)
        time.sleep(0.05 + (n % 5) * 0.03)  # land at different points of the poll cycle
    stop.set()
    runtime.incidents.add_note(number, "bye", ALICE)  # wakes the reader so it can stop
    thread.join(timeout=5)
    client.close()
    return delays


def run(db: str, args: argparse.Namespace, targets: Targets) -> None:
    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{home / 'bench.db'}"
        if db == "postgres":
            url = stack.enter_context(pg_database("console"))
        base, runtime = stack.enter_context(server(url, home))
        t0 = time.perf_counter()
        number = seed(runtime, args.incidents, args.events)
        print(
            f"[{db}] seeded {args.incidents} incidents, {args.events} events on #{number} "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        client = signed_in(base)
        page, page_cpu = timed_gets(client, f"/console/incidents/{number}", args.requests)
        listing, listing_cpu = timed_gets(client, "/console/incidents", args.requests)
        html = client.get(f"/console/incidents/{number}").content
        css = client.get("/console/static/console.css").content
        js = client.get("/console/static/console.js").content
        fresh = signed_in(base)
        small = fresh.get("/console/incidents/2").content
        client.close()
        fresh.close()
        delays = live_delays(base, runtime, number, args.live)
        print(
            f"[{db}] incident page ({args.events} events): p50 {pct(page, 50):.1f} ms, "
            f"p95 {pct(page, 95):.1f} ms, max {max(page):.1f} ms; CPU p50 "
            f"{pct(page_cpu, 50):.1f} ms, p95 {pct(page_cpu, 95):.1f} ms"
        )
        print(
            f"[{db}] incidents page ({args.incidents} open): p50 {pct(listing, 50):.1f} ms, "
            f"p95 {pct(listing, 95):.1f} ms, max {max(listing):.1f} ms; CPU p50 "
            f"{pct(listing_cpu, 50):.1f} ms, p95 {pct(listing_cpu, 95):.1f} ms"
        )
        print(
            f"[{db}] load average while measuring: {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores"
        )
        weight = (len(small) + len(css) + len(js)) / 1024
        print(
            f"[{db}] page weight: incident page HTML {len(small) / 1024:.1f} KB (a fresh "
            f"incident; {len(html) / 1024:.0f} KB with {args.events} events) + CSS "
            f"{len(css) / 1024:.1f} KB + JS {len(js) / 1024:.1f} KB"
        )
        print(
            f"[{db}] live delay: p50 {pct(delays, 50):.0f} ms, p99 {pct(delays, 99):.0f} ms, "
            f"max {max(delays):.0f} ms over {len(delays)} notes"
        )
        targets.check(f"{db} incident page p95", pct(page, 95), "<", 50, " ms")
        targets.check(f"{db} incidents page p95", pct(listing, 95), "<", 100, " ms")
        targets.check(f"{db} page weight", weight, "<", 100, " KB")
        targets.check(f"{db} live update p99", pct(delays, 99), "<", 1000, " ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--live", type=int, default=50)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    for db in args.db.split(","):
        run(db.strip(), args, targets)
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
