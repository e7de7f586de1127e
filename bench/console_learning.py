"""The console's status page admin, post-mortem, metrics and action-item pages, through a
real server on loopback.

    python bench/console_learning.py [--db sqlite,postgres] [--incidents 500] [--requests 100]

Seeds `--incidents` incidents (declared over the last 80 days, most acknowledged and
resolved, a post-mortem on the first, two action items on every tenth) and times each page
by an HTTP client in this process. Our own target, as for the incidents page: p95 < 100 ms
for each page (the metrics page computes the figures per request, from the database).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import Targets, machine, pct, pg_database
from console import ALICE, seed, server, signed_in, timed_gets
from sqlalchemy import update

from firebell.postmortems.actions import NewItem
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import Incident


def history(runtime: Runtime, count: int) -> int:
    """Spread the incidents over 80 days, acknowledge and resolve most of them."""
    number = seed(runtime, count, 0)
    now = runtime.clock.now()
    owner = runtime.playbook.playbook.people[1].id
    for n in range(number, number + count):
        if n % 7 == 3:
            continue  # stays open and unacknowledged: a censored observation
        runtime.incidents.acknowledge(n, ALICE)
        runtime.incidents.resolve(n, ALICE, "fixed")
        if n % 10 == 0:
            for k in range(2):
                item = NewItem("prevent", f"Follow-up {n}.{k}", owner, now + timedelta(days=k))
                runtime.action_items.add(n, item, ALICE)
    with transaction(runtime.sessions) as session:  # spread the declarations over 80 days
        for n in range(number, number + count):
            at = now - timedelta(hours=(n * 37) % (80 * 24))
            session.execute(
                update(Incident)
                .where(Incident.id == n)
                .values(
                    declared_at=at,
                    acknowledged_at=at + timedelta(minutes=n % 30 + 1) if n % 7 != 3 else None,
                    resolved_at=at + timedelta(minutes=n % 300 + 30) if n % 7 != 3 else None,
                )
            )
    return number  # a P1, resolved: it has its post-mortem


def run(db: str, args: argparse.Namespace, targets: Targets) -> None:
    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{home / 'bench.db'}"
        if db == "postgres":
            url = stack.enter_context(pg_database("console_learning"))
        base, runtime = stack.enter_context(server(url, home))
        t0 = time.perf_counter()
        number = history(runtime, args.incidents)
        print(f"[{db}] seeded {args.incidents} incidents in {time.perf_counter() - t0:.1f} s")
        client = signed_in(base)
        pages = {
            "metrics (90 days)": "/console/metrics?days=90",
            "status page admin": "/console/status",
            "action items": "/console/action-items?done=1",
            "post-mortem": f"/console/incidents/{number}/postmortem",
        }
        for name, path in pages.items():
            times, cpu = timed_gets(client, path, args.requests)
            size = len(client.get(path).content) / 1024
            print(
                f"[{db}] {name}: p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, "
                f"max {max(times):.1f} ms; CPU p95 {pct(cpu, 95):.1f} ms; {size:.0f} KB"
            )
            targets.check(f"{db} {name} p95", pct(times, 95), "<", 100, " ms")
        client.close()
        print(f"[{db}] load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    for db in args.db.split(","):
        run(db.strip(), args, targets)
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
