"""Timer engine: firings/s and lateness with 100,000 pending timers, SQLite and PostgreSQL.

    python bench/timers.py [--timers 100000] [--spread 60] [--db sqlite,postgres]

Two phases per database, each with the real `Engine.run` loop (system clock, default
batch and idle interval) in a thread and a trivial handler registered for kind `bench`:

* throughput: N timers all due in the 5 s before the engine starts; firings/s is
  N / time until the last one is committed.
* lateness: N timers due progressively over `--spread` seconds (N/spread per second,
  ~1,667/s by default), starting 2 s after the engine starts, so up to N are pending.
  Lateness is measured two ways: `fired_at - due_at` as stored (fired_at is the engine's
  clock at the start of the batch), and commit time - due_at (when the firing is durable).

Targets: >= 1,000 firings/s, p99 lateness < 1 s.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Targets, machine, pct, pg_available, pg_database, temp_home
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from firebell.clock import SystemClock
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction
from firebell.store.models import Timer


def insert_timers(runtime: Runtime, first_due: datetime, spread: float, n: int) -> float:
    started = time.perf_counter()
    created = datetime.now(UTC)
    step = spread / n
    for lo in range(0, n, 10_000):
        rows = [
            {
                "kind": "bench",
                "due_at": first_due + timedelta(seconds=i * step),
                "status": "pending",
                "generation": 0,
                "payload": {"i": i},
                "created_at": created,
            }
            for i in range(lo, min(n, lo + 10_000))
        ]
        with transaction(runtime.sessions) as session:
            session.execute(insert(Timer), rows)
    return time.perf_counter() - started


def run_phase(runtime: Runtime, n: int, deadline_s: float) -> dict[str, Any]:
    """Run the engine until n timers are fired (or the deadline), with commit timestamps."""
    pending: list[tuple[int, datetime]] = []  # fired in the open transaction
    committed: list[tuple[datetime, datetime]] = []  # (due_at, commit wall time)

    def handler(_session: Session, timer: Timer, _now: datetime) -> None:
        pending.append((timer.id, timer.due_at))

    def after_commit(_session: Session) -> None:
        if pending:
            at = datetime.now(UTC)
            committed.extend((due, at) for _, due in pending)
            pending.clear()

    def after_rollback(_session: Session) -> None:
        pending.clear()

    runtime.engine.handlers["bench"] = handler
    event.listen(runtime.sessions, "after_commit", after_commit)
    event.listen(runtime.sessions, "after_soft_rollback", after_rollback)
    stop = threading.Event()
    thread = threading.Thread(
        target=runtime.engine.run, args=(stop, runtime.settings.engine_interval), daemon=True
    )
    t0 = time.perf_counter()
    thread.start()
    try:
        while len(committed) < n and time.perf_counter() - t0 < deadline_s:
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        thread.join(timeout=30)
        event.remove(runtime.sessions, "after_commit", after_commit)
        event.remove(runtime.sessions, "after_soft_rollback", after_rollback)
    with transaction(runtime.sessions) as session:
        rows = session.execute(
            select(Timer.due_at, Timer.fired_at).where(
                Timer.kind == "bench", Timer.status == "fired"
            )
        ).all()
        left = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "pending")
        )
    return {
        "elapsed": elapsed,
        "fired": len(rows),
        "left": left,
        "stored": [(f - d).total_seconds() for d, f in rows],
        "durable": [(c - d).total_seconds() for d, c in committed],
    }


def bench_db(label: str, url: str, home: Path, n: int, spread: float, t: Targets) -> None:
    runtime = build_runtime(
        Settings(home=home, database_url=url, playbook_path=None), SystemClock()
    )
    try:
        print(f"\n== {label} ({n:,} timers, engine batch {runtime.engine.batch}) ==")
        # Phase 1: everything already due.
        ins = insert_timers(runtime, datetime.now(UTC) - timedelta(seconds=5), 5.0, n)
        print(f"  inserted {n:,} due timers in {ins:.1f} s")
        r = run_phase(runtime, n, deadline_s=300)
        rate = r["fired"] / r["elapsed"]
        print(
            f"  throughput: {r['fired']:,} fired in {r['elapsed']:.1f} s = {rate:,.0f} firings/s"
            f" (pending left {r['left']})"
        )
        t.check(f"{label} firings/s", rate, ">=", 1000)
        with transaction(runtime.sessions) as session:
            session.execute(Timer.__table__.delete().where(Timer.kind == "bench"))
        # Phase 2: due progressively over `spread` seconds.
        first_due = datetime.now(UTC) + timedelta(seconds=2 + n * 2e-5)
        ins = insert_timers(runtime, first_due, spread, n)
        print(
            f"  inserted {n:,} timers due over {spread:.0f} s ({n / spread:,.0f}/s) in {ins:.1f} s"
        )
        r = run_phase(runtime, n, deadline_s=spread + 240)
        stored, durable = r["stored"], r["durable"]
        print(
            f"  lateness fired_at-due_at: p50 {pct(stored, 50) * 1000:.0f} ms, "
            f"p99 {pct(stored, 99) * 1000:.0f} ms, max {max(stored, default=0) * 1000:.0f} ms"
        )
        print(
            f"  lateness commit-due_at:   p50 {pct(durable, 50) * 1000:.0f} ms, "
            f"p99 {pct(durable, 99) * 1000:.0f} ms, max {max(durable, default=0) * 1000:.0f} ms"
            f"  ({r['fired']:,} fired, {r['left']} pending left)"
        )
        t.check(f"{label} p99 lateness (commit)", pct(durable, 99) * 1000, "<", 1000, " ms")
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds (lateness phase)")
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"bench/timers.py  {machine()}")
    t = Targets()
    for db in args.db.split(","):
        with temp_home("timers") as home:
            if db == "sqlite":
                url = f"sqlite:///{home / 'firebell.db'}"
                bench_db("SQLite", url, home, args.timers, args.spread, t)
            elif db == "postgres":
                if not pg_available():
                    print("PostgreSQL not reachable: MISS")
                    t.missed.append("postgres unavailable")
                    continue
                with pg_database("timers") as url:
                    bench_db("PostgreSQL", url, home, args.timers, args.spread, t)
    return t.exit()


if __name__ == "__main__":
    sys.exit(main())
