"""HTTP load generator, run as its own process by bench/intake.py (not imported).

    python bench/_loadgen.py --url URL --kind KIND [--concurrency 32] [--rate 0]
                             [--duration 20] [--warmup 2] [--key KEY] --out result.json

Raw HTTP/1.1 keep-alive over asyncio streams (uvloop if present) so that it costs far less
CPU than the server it measures. Every request carries a distinct key:

* alertmanager: the Alertmanager webhook fixture with a distinct groupKey/fingerprint;
* pagerduty:    the PagerDuty Events v2 trigger fixture with a distinct dedup_key;
* am-native:    one alert with distinct labels for Alertmanager's own POST /api/v2/alerts.

--rate 0: closed loop, `concurrency` requests in flight (maximum sustained rate).
--rate R: open loop, request i is due at t0 + i/R on a free connection; latency counts
from the due time, so a server that falls behind is charged for the queueing; once it is
more than --max-behind s behind schedule the run stops early ("behind": true).
Writes {"sent", "ok", "statuses", "elapsed", "latencies_ms"} (after warm-up) to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import itertools
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "alertmanager"


def body_factory(kind: str, key: str) -> Any:
    tag = f"{time.time_ns():x}"
    if kind == "alertmanager":
        template = json.loads((FIXTURES / "webhook-firing.json").read_text())

        def make(i: int) -> bytes:
            doc = copy.deepcopy(template)
            name = f"Bench{tag}x{i}"
            doc["groupKey"] = f'{{}}:{{alertname="{name}"}}'
            doc["groupLabels"]["alertname"] = name
            doc["commonLabels"]["alertname"] = name
            doc["alerts"][0]["labels"]["alertname"] = name
            doc["alerts"][0]["fingerprint"] = f"{i:016x}"
            return json.dumps(doc).encode()

        return make
    if kind == "pagerduty":
        template = json.loads((FIXTURES / "pagerduty-trigger.json").read_text())

        def make(i: int) -> bytes:
            doc = copy.deepcopy(template)
            doc["routing_key"] = key
            doc["dedup_key"] = f"bench-{tag}-{i}"
            return json.dumps(doc).encode()

        return make
    if kind == "am-native":
        starts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        def make(i: int) -> bytes:
            alert = {
                "labels": {
                    "alertname": f"Bench{tag}x{i}",
                    "instance": "web-1:8080",
                    "job": "checkout-api",
                    "service": "checkout",
                    "severity": "critical",
                },
                "annotations": {"summary": "Checkout 5xx rate above 5%"},
                "startsAt": starts,
                "generatorURL": "http://prometheus.example.invalid/graph",
            }
            return json.dumps([alert]).encode()

        return make
    raise SystemExit(f"unknown kind {kind}")


class Conn:
    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    url = urlsplit(args.url)
    make = body_factory(args.kind, args.key)
    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = ok = 0
    t0 = time.perf_counter()
    measure_from = t0 + args.warmup
    end = measure_from + args.duration
    measured_start: float | None = None
    behind = False

    async def one(conn: Conn, due: float) -> None:
        nonlocal sent, ok, measured_start
        body = make(next(counter))
        try:
            status = await conn.request(body)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            conn.close()
            status = 0
        done = time.perf_counter()
        if due >= measure_from:
            if measured_start is None:
                measured_start = due
            sent += 1
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if 200 <= status < 300:
                ok += 1
                latencies.append((done - due) * 1000)

    conns = [
        Conn(url.hostname or "127.0.0.1", url.port or 80, url.path) for _ in range(args.concurrency)
    ]
    if args.rate <= 0:

        async def worker(conn: Conn) -> None:
            while (now := time.perf_counter()) < end:
                await one(conn, now)

        await asyncio.gather(*(worker(c) for c in conns))
    else:
        free: asyncio.Queue[Conn] = asyncio.Queue()
        for c in conns:
            free.put_nowait(c)
        tasks: set[asyncio.Task[None]] = set()

        async def fire(conn: Conn, due: float) -> None:
            try:
                await one(conn, due)
            finally:
                free.put_nowait(conn)

        i = 0
        while True:
            due = t0 + i / args.rate
            if due >= end:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            conn = await free.get()
            if time.perf_counter() - due > args.max_behind:
                behind = True  # the server cannot keep up: stop instead of queueing forever
                free.put_nowait(conn)
                break
            task = asyncio.create_task(fire(conn, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.wait(tasks, timeout=30)
    elapsed = time.perf_counter() - (measured_start or measure_from)
    for c in conns:
        c.close()
    return {
        "sent": sent,
        "ok": ok,
        "statuses": statuses,
        "elapsed": elapsed,
        "behind": behind,
        "latencies_ms": latencies,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--key", default="")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--max-behind", type=float, default=10.0, help="open loop: give up when this many s behind"
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
