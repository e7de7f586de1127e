"""Declare → page: time from `POST /api/v1/incidents` (P1) to the webhook page arriving.

    python bench/declare_to_page.py [--incidents 100] [--db sqlite|postgres] [--rate 7]

Starts `firebell serve` (SQLite in a temp FIREBELL_HOME by default) with the default
playbook, except that the primary on-call engineers are paged by webhook to a local
receiver (a thread in this process). Incidents are declared one at a time, a random
0-300 ms apart so declarations do not phase-lock with the engine's 0.2 s idle poll.
Reported: the POST's own latency (commit of incident + escalation + outbox row) and
POST start → page arrival. Targets: p50 < 250 ms, p99 < 1 s.

With ``--rate R``, declarations arrive open-loop at R a second (each on its own thread,
whether or not the previous one has been answered) and the target is p99 < 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _common import (
    Receiver,
    Server,
    Targets,
    bench_playbook,
    machine,
    pct,
    pg_available,
    pg_database,
    temp_home,
)


def run(home: Path, url: str | None, n: int, label: str, t: Targets) -> None:
    with Receiver() as receiver:
        playbook = bench_playbook(home / "playbook.yaml", receiver.url)
        with (
            Server(home, playbook, url) as server,
            httpx.Client(base_url=server.base, headers=server.headers, timeout=10) as client,
        ):
            rng = random.Random(1)
            post_ms: list[float] = []
            page_ms: list[float] = []
            lost = 0
            for i in range(n + 3):  # the first 3 warm up the server
                time.sleep(rng.uniform(0, 0.3))
                started = time.perf_counter()
                r = client.post(
                    "/api/v1/incidents",
                    json={"title": f"bench {i}", "severity": "P1", "service": "platform"},
                )
                posted = time.perf_counter()
                r.raise_for_status()
                arrived = receiver.wait_for(r.json()["id"], timeout=10)
                if i < 3:
                    continue
                post_ms.append((posted - started) * 1000)
                if arrived is None:
                    lost += 1
                else:
                    page_ms.append((arrived - started) * 1000)
    print(f"\n== {label}: {n} P1 declarations, one at a time ==")
    print(f"  POST latency:       p50 {pct(post_ms, 50):6.1f} ms  p99 {pct(post_ms, 99):6.1f} ms")
    print(
        f"  POST → page:        p50 {pct(page_ms, 50):6.1f} ms  p99 {pct(page_ms, 99):6.1f} ms"
        f"  max {max(page_ms, default=float('nan')):.1f} ms  (no page within 10 s: {lost})"
    )
    after = [p - q for p, q in zip(page_ms, post_ms, strict=False)]
    print(f"  after the 201:      p50 {pct(after, 50):6.1f} ms  p99 {pct(after, 99):6.1f} ms")
    t.check(f"{label} declare→page p50", pct(page_ms, 50), "<", 250, " ms")
    t.check(f"{label} declare→page p99", pct(page_ms, 99), "<", 1000, " ms")
    if lost:
        t.missed.append(f"{label}: {lost} pages not delivered")


def run_rate(home: Path, url: str | None, n: int, rate: float, label: str, t: Targets) -> None:
    """Open loop: declaration i is sent at i / rate seconds, on its own thread."""
    with Receiver() as receiver:
        playbook = bench_playbook(home / "playbook.yaml", receiver.url)
        with Server(home, playbook, url) as server:

            def one(i: int, at: float) -> float | None:
                time.sleep(max(0.0, at - time.perf_counter()))
                started = time.perf_counter()
                with httpx.Client(base_url=server.base, headers=server.headers, timeout=10) as c:
                    r = c.post(
                        "/api/v1/incidents",
                        json={"title": f"rate {i}", "severity": "P1", "service": "platform"},
                    )
                r.raise_for_status()
                arrived = receiver.wait_for(r.json()["id"], timeout=10)
                return None if arrived is None else (arrived - started) * 1000

            begin = time.perf_counter() + 0.5
            with ThreadPoolExecutor(max_workers=32) as pool:
                futures = [pool.submit(one, i, begin + i / rate) for i in range(n)]
                results = [f.result() for f in futures]
    page_ms = [r for r in results if r is not None]
    lost = len(results) - len(page_ms)
    print(f"\n== {label}: {n} P1 declarations at {rate:g}/s (open loop) ==")
    print(
        f"  POST → page:        p50 {pct(page_ms, 50):6.1f} ms  p99 {pct(page_ms, 99):6.1f} ms"
        f"  max {max(page_ms, default=float('nan')):.1f} ms  (no page within 10 s: {lost})"
    )
    t.check(f"{label} declare→page p99 at {rate:g}/s", pct(page_ms, 99), "<", 1000, " ms")
    if lost:
        t.missed.append(f"{label}: {lost} pages not delivered")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--rate", type=float, default=0.0, help="declarations a second")
    args = parser.parse_args()
    print(f"bench/declare_to_page.py  {machine()}")
    t = Targets()
    for db in args.db.split(","):
        with temp_home("d2p") as home:
            label = "SQLite" if db == "sqlite" else "PostgreSQL"
            if db != "sqlite" and not pg_available():
                t.missed.append("postgres unavailable")
                continue
            with pg_database("d2p") if db != "sqlite" else _no_database() as url:
                if args.rate:
                    run_rate(home, url, args.incidents, args.rate, label, t)
                else:
                    run(home, url, args.incidents, label, t)
    return t.exit()


@contextlib.contextmanager
def _no_database() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
