"""The public status page under an outage's crowd, while the incident is being updated.

    python bench/statuspage.py [--duration 10] [--concurrency 200] [--db sqlite]

`firebell serve` runs as a subprocess (default playbook, SQLite unless --db postgres). A P1
incident on the API is declared and published. Then, at the same time:

* a load generator process (this file with --loadgen: raw HTTP/1.1 keep-alive GETs over
  asyncio, uvloop if installed) keeps `--concurrency` requests in flight, alternating
  /api/v2/summary.json and /status (closed loop), conditional requests not used: every
  answer is a full 200 body;
* this process updates the incident every 0.5 s through the API (a note, a component
  override, a status-page update) and times each call.

Reported: requests/s and p50/p99 of the page, incident API latency under load vs idle.
Targets: >= 3,000 requests/s and p99 < 50 ms on SQLite; incident API p99 under load no
worse than 3x idle, and < 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _common import (
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

PATHS = ("/api/v2/summary.json", "/status")
FIELDS = {
    "root_cause": "a bad deployment",
    "current_action": "rolling back",
    "expected_progress": "recovery within the hour",
    "current_status": "Fix in progress",
    "updates": ["Rolling back"],
}


# --- load generator (its own process) -----------------------------------------------------


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    writer.write(req)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return int(status_line.split()[1])


async def loadgen(port: int, concurrency: int, duration: float, warmup: float) -> dict[str, Any]:
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() for p in PATHS]
    lat: dict[str, list[float]] = {p: [] for p in PATHS}
    errors = 0
    t0 = time.perf_counter()
    start, end = t0 + warmup, t0 + warmup + duration

    async def worker(i: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = i
        while (now := time.perf_counter()) < end:
            which = n % 2
            n += 1
            try:
                status = await _get(reader, writer, requests[which])
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            if now >= start:
                if status == 200:
                    lat[PATHS[which]].append((time.perf_counter() - now) * 1000)
                else:
                    errors += 1
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return {"elapsed": duration, "latencies": lat, "errors": errors}


def run_loadgen(args: argparse.Namespace) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(loadgen(args.port, args.concurrency, args.duration, args.warmup))
    Path(args.out).write_text(json.dumps(result))


# --- in process: the cost of one answer, without the network or a load generator ---------


def in_process(requests: int = 20_000) -> dict[str, float]:
    """µs per request through the whole ASGI stack (app + middleware), and the time to
    rebuild the snapshot, measured in this process: the server's own cost, which the
    shared machine's noise does not blur as much as a load test."""
    import tempfile

    from firebell.api.app import create_app
    from firebell.config import Settings
    from firebell.runtime import build_runtime

    home = Path(tempfile.mkdtemp(prefix="firebell-bench-status-inproc-"))
    runtime = build_runtime(
        Settings(home=home, database_url=f"sqlite:///{home}/f.db", playbook_path=None)
    )
    app = create_app(runtime)
    figures: dict[str, float] = {}

    async def call(path: str) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "headers": [(b"host", b"127.0.0.1")],
            "query_string": b"",
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            return None

        await app(scope, receive, send)  # type: ignore[arg-type]

    async def run() -> None:
        for path in PATHS:
            await call(path)
            t = time.perf_counter()
            for _ in range(requests):
                await call(path)
            figures[path] = (time.perf_counter() - t) / requests * 1e6

    asyncio.run(run())
    snapshots = runtime.status_page.snapshots
    builds = []
    for _ in range(20):
        snapshots.invalidate()
        snapshots._signature = None  # force a rebuild
        t = time.perf_counter()
        snapshots.refresh()
        builds.append((time.perf_counter() - t) * 1000)
    figures["rebuild_ms_p50"] = pct(builds, 50)
    runtime.close()
    return figures


# --- the benchmark ------------------------------------------------------------------------


def api_latency(server: Server, number: int, stop: threading.Event, out: list[float]) -> None:
    """Update the incident every 0.5 s; record each call's latency (ms)."""
    calls = [
        ("POST", f"/api/v1/incidents/{number}/notes", {"text": "still rolling back"}),
        (
            "POST",
            f"/api/v1/incidents/{number}/components",
            {"component": "consensus", "status": "degraded_performance"},
        ),
        (
            "POST",
            f"/api/v1/incidents/{number}/notify",
            {"template": "update", "audience": "customers", "fields": FIELDS},
        ),
    ]
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=10) as client:
        i = 0
        while not stop.is_set():
            method, path, body = calls[i % len(calls)]
            t = time.perf_counter()
            r = client.request(method, path, json=body)
            out.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            i += 1
            stop.wait(0.5)


def setup(server: Server) -> int:
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=10) as c:
        r = c.post(
            "/api/v1/incidents",
            json={
                "title": "API errors",
                "severity": "P1",
                "service": "api",
                "summary": "API errors",
            },
        )
        r.raise_for_status()
        number: int = r.json()["id"]
        c.post(f"/api/v1/incidents/{number}/facts", json={"facts": {"impact": "failed requests"}})
        c.post(
            f"/api/v1/incidents/{number}/notify",
            json={"template": "initial", "audience": "customers", "fields": FIELDS},
        ).raise_for_status()
        return number


@contextlib.contextmanager
def public_process(home: Path, playbook: Path, url: str | None) -> Iterator[int]:
    """`python -m firebell.statuspage.public` beside the server, same home and database."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
    env.update(FIREBELL_HOME=str(home), FIREBELL_PLAYBOOK=str(playbook))
    if url:
        env["FIREBELL_DATABASE_URL"] = url
    proc = subprocess.Popen(
        [sys.executable, "-m", "firebell.statuspage.public", f"--port={port}"], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/status.json").status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise SystemExit("the public status process did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bench(db: str, url: str | None, args: argparse.Namespace, targets: Targets) -> None:
    with temp_home(f"status-{db}") as home:
        playbook = bench_playbook(home / "playbook.yaml", None)
        with Server(home, playbook, url) as server:
            number = setup(server)
            idle: list[float] = []
            stop = threading.Event()
            thread = threading.Thread(target=api_latency, args=(server, number, stop, idle))
            thread.start()
            time.sleep(min(args.duration, 8))
            stop.set()
            thread.join()
            with contextlib.ExitStack() as stack:
                port = server.port
                if args.separate:
                    port = stack.enter_context(public_process(home, playbook, url))
                out = home / "load.json"
                loaded: list[float] = []
                stop = threading.Event()
                thread = threading.Thread(target=api_latency, args=(server, number, stop, loaded))
                gen = subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--loadgen",
                        f"--port={port}",
                        f"--concurrency={args.concurrency}",
                        f"--duration={args.duration}",
                        f"--warmup={args.warmup}",
                        f"--out={out}",
                    ]
                )
                time.sleep(args.warmup)
                thread.start()
                gen.wait(timeout=args.duration + args.warmup + 120)
                stop.set()
                thread.join()
                result = json.loads(out.read_text())
    where = "separate public process" if args.separate else "one process"
    print(f"({where})")
    lat = result["latencies"]
    total = sum(len(v) for v in lat.values())
    rate = total / result["elapsed"]
    every = [x for v in lat.values() for x in v]
    print(f"{db}: {args.concurrency} clients, {args.duration:.0f} s, errors {result['errors']}")
    for path, values in lat.items():
        print(
            f"  {path:<22} {len(values) / result['elapsed']:8,.0f} req/s  "
            f"p50 {pct(values, 50):6.1f} ms  p99 {pct(values, 99):6.1f} ms"
        )
    print(
        f"  {'both':<22} {rate:8,.0f} req/s  "
        f"p50 {pct(every, 50):6.1f} ms  p99 {pct(every, 99):6.1f} ms"
    )
    print(
        f"  incident API ({len(idle)} idle / {len(loaded)} loaded calls): idle p50 "
        f"{pct(idle, 50):.1f} p99 {pct(idle, 99):.1f} ms; under load p50 {pct(loaded, 50):.1f} "
        f"p99 {pct(loaded, 99):.1f} ms"
    )
    if db == "sqlite":
        targets.check("status page requests/s (SQLite)", rate, ">=", 3000, " req/s")
        targets.check("status page p99 (SQLite)", pct(every, 99), "<", 50, " ms")
    api_limit = max(3 * pct(idle, 99), 50.0)
    targets.check(
        f"incident API p99 under load ({db})", pct(loaded, 99), "<", min(api_limit, 250), " ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument(
        "--separate",
        action="store_true",
        help="serve the page from `python -m firebell.statuspage.public` beside the server",
    )
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        run_loadgen(args)
        return 0
    print(machine())
    targets = Targets()
    figures = in_process()
    for path in PATHS:
        print(f"in process: {path:<22} {figures[path]:6.1f} µs per request (ASGI stack)")
    print(f"in process: snapshot rebuild p50 {figures['rebuild_ms_p50']:.1f} ms")
    for db in args.db.split(","):
        if db == "postgres":
            if not pg_available():
                print("postgres: not reachable, skipped")
                continue
            with pg_database("status") as url:
                bench(db, url, args, targets)
        else:
            bench(db, None, args, targets)
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
