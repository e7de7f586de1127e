"""Large payloads never hold the database: other requests' latency while one request
fires, then resolves, 10,000 alerts.

    python bench/large_payload.py [--db sqlite,postgres] [--alerts 10000] [--rate 50]

For each database, `firebell serve` runs as a subprocess with the default playbook (rate
limits raised). Two background streams run throughout:

* declarations: `POST /api/v1/incidents` (P3, one at a time, back to back);
* PagerDuty events: `POST /v2/enqueue` triggers with distinct dedup keys at `--rate`/s.

Meanwhile one Alertmanager webhook fires `--alerts` alerts of one group (one request),
and then another resolves them all. A baseline window (no big request) is measured first.
The p99 latency of each stream is taken over the time
the big request was in flight. Target: p99 < 250 ms for both streams, on SQLite and
PostgreSQL. Alerts are minimal (labels and fingerprint: ~90 bytes each) so 10,000 fit in
the 1 MiB body limit.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from _common import (
    Server,
    Targets,
    bench_playbook,
    machine,
    pct,
    pg_available,
    pg_database,
    temp_home,
)

NAMES = ("POST /api/v1/incidents", "PagerDuty events")


def group(n: int, status: str) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="Flood"}',
        "status": status,
        "receiver": "firebell",
        "groupLabels": {"alertname": "Flood"},
        "commonLabels": {"alertname": "Flood"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.invalid",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "Flood", "i": str(i)},
                "fingerprint": f"{i:016x}",
            }
            for i in range(n)
        ],
    }


class Stream(threading.Thread):
    """Sends requests until stopped; records (start, latency ms, status) of each."""

    def __init__(self, send: Any, interval: float) -> None:
        super().__init__(daemon=True)
        self.send, self.interval = send, interval
        self.samples: list[tuple[float, float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            next_at = time.perf_counter()
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    status = self.send(client, n)
                except httpx.HTTPError:
                    status = 599  # counted as an error; the stream goes on
                self.samples.append((started, (time.perf_counter() - started) * 1000, status))
                n += 1
                next_at += self.interval
                time.sleep(max(0.0, next_at - time.perf_counter()))

    def during(self, start: float, end: float) -> tuple[list[float], int]:
        window = [s for s in self.samples if start <= s[0] <= end]
        return [lat for _, lat, _ in window], sum(1 for *_, st in window if st >= 400)


def bench(label: str, home: Path, url: str | None, args: argparse.Namespace, t: Targets) -> None:
    playbook = bench_playbook(home / "playbook.yaml", None)
    with Server(home, playbook, url) as server:
        integrations = server.integrations()
        am_url = integrations["alertmanager"]["url"]
        pd_key = integrations["pagerduty"]["key"]

        def declare(client: httpx.Client, n: int) -> int:
            r = client.post(
                server.base + "/api/v1/incidents",
                json={"title": f"bench {n}", "severity": "P3"},
                headers=server.headers,
            )
            return r.status_code

        def pagerduty(client: httpx.Client, n: int) -> int:
            event = {
                "routing_key": pd_key,
                "event_action": "trigger",
                "dedup_key": f"bench-{label}-{n}",
                "payload": {"summary": "bench", "source": "bench", "severity": "info"},
            }
            return client.post(server.base + "/v2/enqueue", json=event).status_code

        streams = [Stream(declare, 0.0), Stream(pagerduty, 1 / args.rate)]
        for stream in streams:
            stream.start()
        time.sleep(2)  # warm up
        print(f"\n== {label} ==")
        started = time.perf_counter()
        time.sleep(args.baseline)
        print(f"  baseline ({args.baseline:.0f} s, no big request):")
        for name, stream in zip(NAMES, streams, strict=True):
            lat, errors = stream.during(started, time.perf_counter())
            print(
                f"    {name:<24} n={len(lat):4d} p50 {pct(lat, 50):7.1f} ms  "
                f"p99 {pct(lat, 99):7.1f} ms"
            )
        for status in ("firing", "resolved"):
            body = group(args.alerts, status)
            started = time.perf_counter()
            r = httpx.post(am_url, json=body, timeout=600)
            ended = time.perf_counter()
            summary = r.json()
            print(
                f"  one request, {args.alerts:,} alerts {status}: HTTP {r.status_code} in "
                f"{ended - started:.2f} s (created {summary.get('created')}, resolved "
                f"{summary.get('resolved')})"
            )
            for name, stream in zip(
                ("POST /api/v1/incidents", "PagerDuty events"), streams, strict=True
            ):
                lat, errors = stream.during(started, ended)
                print(
                    f"    {name:<24} n={len(lat):4d} p50 {pct(lat, 50):7.1f} ms  "
                    f"p99 {pct(lat, 99):7.1f} ms  max {max(lat, default=float('nan')):7.1f} ms  "
                    f"errors {errors}"
                )
                t.check(
                    f"{label} {name} p99 while {args.alerts:,} alerts {status}",
                    pct(lat, 99),
                    "<",
                    250,
                    " ms",
                )
                t.check(f"{label} {name} errors while {status}", errors, "<", 1)
            time.sleep(1)
        for stream in streams:
            stream.stop.set()
        for stream in streams:
            stream.join(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0, help="PagerDuty events per second")
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds measured first")
    args = parser.parse_args()
    print(f"bench/large_payload.py  {machine()}")
    t = Targets()
    for db in args.db.split(","):
        with temp_home("large") as home:
            if db == "sqlite":
                bench("SQLite", home, None, args, t)
            elif not pg_available():
                t.missed.append("postgres unavailable")
            else:
                with pg_database("large") as url:
                    bench("PostgreSQL", home, url, args, t)
    return t.exit()


if __name__ == "__main__":
    sys.exit(main())
