"""The incidents list's live stream, through a real server on loopback.

    python bench/console_live_list.py [--db sqlite,postgres] [--incidents 100] [--samples 30]

A responder (alice) holds the list's SSE stream open; this process declares incidents and
times each until its re-rendered list arrives: p99 < 1 s. Between them it declares
private incidents alice may not see and counts what reaches her (must be nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import tempfile
import threading
import time
from pathlib import Path

from _common import Targets, machine, pct, pg_database
from console import server, signed_in

from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.web.accounts import SETUP_PATH, Accounts

PASSWORD = "bench password 1234"
ALICE = Principal("alice", "responder")
SEC = Principal("sec", "responder")


def seed(runtime: Runtime, count: int) -> None:
    accounts = Accounts(
        runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
    )
    _, link = accounts.add("alice", "responder", runtime.playbook.playbook.people[0].id)
    accounts.set_password(link.split(SETUP_PATH, 1)[1], PASSWORD)
    for n in range(count):
        runtime.incidents.declare(Declaration(f"Background incident {n}", "P3"), ALICE)


def measure(base: str, runtime: Runtime, samples: int) -> tuple[list[float], int]:
    client = signed_in(base)
    arrived: queue.Queue[str] = queue.Queue()
    stop = threading.Event()

    def listen() -> None:
        with client.stream("GET", "/console/incidents/live", timeout=120) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    arrived.put(line)
                if stop.is_set():
                    return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    time.sleep(1.0)
    while not arrived.empty():  # the stream starts from 0: one list for what exists
        arrived.get()
    delays, leaked = [], 0
    for n in range(samples):
        runtime.incidents.declare(Declaration(f"Secret {n}", "P1", private=True), SEC)
        time.sleep(0.4)
        while not arrived.empty():
            leaked += 1
            arrived.get()
        title = f"Live incident {n}"
        start = time.perf_counter()
        runtime.incidents.declare(Declaration(title, "P2"), ALICE)
        try:
            while title not in arrived.get(timeout=5):
                pass
            delays.append((time.perf_counter() - start) * 1000)
        except queue.Empty:
            delays.append(5000.0)
        time.sleep(0.4)  # let the declaration's own later events (paging) pass
        while not arrived.empty():
            arrived.get()
    stop.set()
    runtime.incidents.declare(Declaration("bye", "P3"), ALICE)  # wakes the reader
    thread.join(timeout=5)
    client.close()
    return delays, leaked


def run(db: str, args: argparse.Namespace, targets: Targets) -> None:
    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{home / 'bench.db'}"
        if db == "postgres":
            url = stack.enter_context(pg_database("livelist"))
        base, runtime = stack.enter_context(server(url, home))
        seed(runtime, args.incidents)
        delays, leaked = measure(base, runtime, args.samples)
        print(
            f"[{db}] list live delay: p50 {pct(delays, 50):.0f} ms, p99 {pct(delays, 99):.0f} "
            f"ms, max {max(delays):.0f} ms over {len(delays)} declarations "
            f"({args.incidents} open before); private declarations sent to a non-member: "
            f"{leaked}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        targets.check(f"{db} list live p99", pct(delays, 99), "<", 1000, " ms")
        targets.check(f"{db} private leaks", leaked, "<", 1, "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    for db in args.db.split(","):
        run(db.strip(), args, targets)
    return targets.exit()


if __name__ == "__main__":
    raise SystemExit(main())
