"""Alert intake: sustained events/s, latency, and alert → first page, vs. Alertmanager.

    python bench/intake.py [--db sqlite,postgres] [--duration 10] [--concurrency 32]
                           [--rate 500] [--pages 30] [--no-alertmanager]

For each database, `firebell serve` runs as a subprocess with the default playbook, the
integrations' rate limits raised out of the way, and the primary on-call engineers paged
by webhook to a receiver thread in this process. Then:

1. alert → first page: one Alertmanager webhook at a time (distinct group, severity
   critical → P1, new incident), time from the POST to the page at the receiver; the
   incident is resolved before the next alert.
2. sustained: bench/_loadgen.py (a separate process) keeps `--concurrency` requests in
   flight for `--duration` s, each a distinct Alertmanager group (webhook) or PagerDuty
   dedup key (Events v2); events/s counts 2xx answers, which firebell sends only after
   the commit (durable).
3. fixed rate: the same payloads at `--rate` events/s (open loop), p99 latency.

Then the same loads against a real Alertmanager's POST /api/v2/alerts (no receivers),
reported as the ratio firebell / Alertmanager.
Targets: >= 2,000 events/s on SQLite, p99 < 50 ms at 500 events/s, >= 0.5x Alertmanager,
alert → first page p99 < 1 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _common import (
    Receiver,
    Server,
    Targets,
    bench_playbook,
    free_port,
    machine,
    pct,
    pg_available,
    pg_database,
    temp_home,
)

LOADGEN = Path(__file__).with_name("_loadgen.py")
FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "fixtures"
    / "alertmanager"
    / "webhook-firing.json"
)


def load(
    url: str, kind: str, out: Path, args: argparse.Namespace, rate: float = 0, key: str = ""
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(LOADGEN),
        f"--url={url}",
        f"--kind={kind}",
        f"--key={key}",
        f"--concurrency={args.concurrency}",
        f"--rate={rate}",
        f"--duration={args.duration}",
        f"--out={out}",
    ]
    subprocess.run(cmd, check=True, timeout=args.duration + 120)
    result: dict[str, Any] = json.loads(out.read_text())
    lat = result.pop("latencies_ms")
    result["rate"] = result["ok"] / result["elapsed"] if result["elapsed"] else 0.0
    result["p50"], result["p99"] = pct(lat, 50), pct(lat, 99)
    mode = f"open loop {rate:.0f}/s" if rate else f"closed loop x{args.concurrency}"
    print(
        f"  {kind:<12} {mode:<20} {result['rate']:8,.0f} ok/s  p50 {result['p50']:7.1f} ms"
        f"  p99 {result['p99']:7.1f} ms  statuses {result['statuses']}"
        + ("  (fell >10 s behind schedule: stopped early)" if result.get("behind") else "")
    )
    return result


def alert_to_page(server: Server, receiver: Receiver, am_url: str, n: int) -> list[float]:
    template = json.loads(FIXTURE.read_text())
    took: list[float] = []
    with httpx.Client(timeout=10) as client:
        for i in range(n + 2):
            doc = json.loads(json.dumps(template))
            name = f"PageBench{i}"
            doc["groupKey"] = f'{{}}:{{alertname="{name}"}}'
            doc["alerts"][0]["labels"]["alertname"] = name
            doc["alerts"][0]["fingerprint"] = f"{i:016x}"
            time.sleep(0.05 + (i * 0.037) % 0.25)  # do not phase-lock with the engine poll
            started = time.perf_counter()
            r = client.post(am_url, json=doc)
            r.raise_for_status()
            incidents = r.json()["incidents"]
            arrived = receiver.wait_for(incidents[0], timeout=10) if incidents else None
            if i >= 2:  # two warm-up alerts
                took.append((arrived - started) * 1000 if arrived else float("inf"))
            for incident in incidents:
                client.post(
                    f"{server.base}/api/v1/incidents/{incident}/resolve",
                    headers=server.headers,
                    json={},
                ).raise_for_status()
    return took


def bench_firebell(
    label: str, home: Path, url: str | None, args: argparse.Namespace, t: Targets
) -> dict[str, Any]:
    print(f"\n== firebell serve on {label} ==")
    results: dict[str, Any] = {}
    with Receiver() as receiver:
        playbook = bench_playbook(home / "playbook.yaml", receiver.url)
        if args.grouping != "default":
            set_grouping(playbook, args.grouping)
        with Server(home, playbook, url) as server:
            integ = server.integrations()
            am_url, pd_key = integ["alertmanager"]["url"], integ["pagerduty"]["key"]
            pd_url = integ["pagerduty"]["url"]
            took = alert_to_page(server, receiver, am_url, args.pages)
            print(
                f"  alert → first page ({len(took)} alerts, one at a time): "
                f"p50 {pct(took, 50):.1f} ms  p99 {pct(took, 99):.1f} ms  max {max(took):.1f} ms"
            )
            t.check(f"{label} alert→page p99", pct(took, 99), "<", 1000, " ms")
            for kind, target, key in (("alertmanager", am_url, ""), ("pagerduty", pd_url, pd_key)):
                results[kind] = load(target, kind, home / f"{kind}.json", args, key=key)
                results[kind + "@rate"] = load(
                    target, kind, home / f"{kind}-rate.json", args, rate=args.rate, key=key
                )
    for kind in ("alertmanager", "pagerduty"):
        if label == "SQLite":
            t.check(f"{label} {kind} events/s", results[kind]["rate"], ">=", 2000)
        t.check(
            f"{label} {kind} p99 @ {args.rate:.0f}/s",
            results[kind + "@rate"]["p99"],
            "<",
            50,
            " ms",
        )
    return results


def set_grouping(path: Path, by: str) -> None:
    """Give the Alertmanager and PagerDuty integrations another grouping (e.g. `service`:
    every distinct group attaches to one incident, the path measured before grouping by
    sender became the default; with the default each distinct group is a new incident)."""
    import yaml

    pb = yaml.safe_load(path.read_text())
    for integration in pb["integrations"]:
        if integration["id"] in ("alertmanager", "pagerduty"):
            integration.setdefault("options", {})["grouping"] = {"by": by, "window": "1d"}
    path.write_text(yaml.safe_dump(pb, sort_keys=False))


def bench_alertmanager(home: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    binary = "prometheus-alertmanager"
    config = home / "alertmanager.yml"
    config.write_text("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    port = free_port()
    log = open(home / "alertmanager.log", "w")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={home / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except FileNotFoundError:
        print("prometheus-alertmanager not installed: no comparison")
        return None
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        print("\n== Alertmanager (POST /api/v2/alerts, one alert per request) ==")
        return {
            "closed": load(base + "/api/v2/alerts", "am-native", home / "am.json", args),
            "rate": load(
                base + "/api/v2/alerts", "am-native", home / "am-rate.json", args, rate=args.rate
            ),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--no-alertmanager", action="store_true")
    parser.add_argument(
        "--grouping", default="default", help="default, or sender/service for both integrations"
    )
    args = parser.parse_args()
    print(f"bench/intake.py  {machine()}")
    t = Targets()
    ours: dict[str, dict[str, Any]] = {}
    for db in args.db.split(","):
        with temp_home("intake") as home:
            if db == "sqlite":
                ours["SQLite"] = bench_firebell("SQLite", home, None, args, t)
            elif not pg_available():
                t.missed.append("postgres unavailable")
            else:
                with pg_database("intake") as url:
                    ours["PostgreSQL"] = bench_firebell("PostgreSQL", home, url, args, t)
    if not args.no_alertmanager:
        with temp_home("am") as home:
            am = bench_alertmanager(home, args)
        if am is not None:
            print("\n== firebell / Alertmanager (closed-loop events/s) ==")
            for label, res in ours.items():
                for kind in ("alertmanager", "pagerduty"):
                    ratio = res[kind]["rate"] / am["closed"]["rate"]
                    print(
                        f"  {label} {kind}: {res[kind]['rate']:,.0f} / {am['closed']['rate']:,.0f}"
                        f" = {ratio:.2f}"
                    )
                    t.check(f"{label} {kind} ratio to Alertmanager", ratio, ">=", 0.5)
    return t.exit()


if __name__ == "__main__":
    sys.exit(main())
