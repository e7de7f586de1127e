"""Learning figures: metrics, the monthly review and a /metrics scrape over a generated
history, on SQLite and PostgreSQL.

    python bench/metrics.py [--per-month 2000] [--db sqlite,postgres] [--runs 5]

Six months of incidents (`--per-month` each, the last month exactly that many), with
pages, post-mortems and action items (bench/history.py). Timed, median of `--runs`:

* GET /api/v1/metrics for the last month (service call + JSON)   target < 1 s
* the monthly review with its six-month trend, Markdown + HTML   target < 5 s
* one Prometheus scrape (all collectors)                          target < 0.5 s
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import Targets, machine, pg_available, pg_database, temp_home
from history import generate, six_months
from prometheus_client import generate_latest

from firebell.auth.principal import SYSTEM
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.reports.documents import monthly_documents
from firebell.reports.prometheus import build_registry
from firebell.reports.serialize import metrics_json
from firebell.runtime import build_runtime

MONTH = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def timed(fn: object, runs: int) -> float:
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        values.append(time.perf_counter() - start)
    return statistics.median(values)


def run(db: str, url: str, home: Path, per_month: int, runs: int, targets: Targets) -> None:
    settings = Settings(home=home, database_url=url, playbook_path=None)
    runtime = build_runtime(settings, FrozenClock(AS_OF))
    try:
        count = generate(
            runtime.sessions, runtime.playbook.playbook, six_months(MONTH, per_month), AS_OF
        )
        print(f"{db}: {count} incidents over six months, {per_month} in 2026-11")
        registry, _ = build_registry(runtime.sessions, runtime.clock.now)
        month = timed(lambda: metrics_json(runtime.reports.metrics(MONTH, UNTIL, SYSTEM)), runs)
        review = timed(lambda: monthly_documents(runtime.reports.monthly("2026-11", SYSTEM)), runs)
        scrape = timed(lambda: generate_latest(registry), runs)
        targets.check(f"{db} metrics for a month", month, "<", 1.0, " s")
        targets.check(f"{db} monthly review (6 months, md+html)", review, "<", 5.0, " s")
        targets.check(f"{db} /metrics scrape", scrape, "<", 0.5, " s")
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-month", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    for db in args.db.split(","):
        with temp_home("metrics") as home:
            if db == "sqlite":
                run(db, f"sqlite:///{home}/firebell.db", home, args.per_month, args.runs, targets)
            elif pg_available():
                with pg_database("metrics") as url:
                    run(db, url, home, args.per_month, args.runs, targets)
            else:
                print("postgres: not reachable, skipped")
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
