"""Shared helpers for the benchmarks: machine facts, percentiles, a throwaway PostgreSQL
database, a bench playbook, a local webhook receiver and a `firebell serve` subprocess.

Everything listens on 127.0.0.1 and is torn down by the context managers.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
# A ceiling for `firebell serve` to answer /readyz (start-up itself is bench/startup.py's
# figure); on a loaded 2-core machine a start took ~50 s, so 60 s failed runs spuriously.
READY_WITHIN = float(os.environ.get("FIREBELL_BENCH_READY_WITHIN", "180"))
PG_ADMIN = os.environ.get("FIREBELL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- figures -------------------------------------------------------------------------------


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"nproc={os.cpu_count()} RAM={mem_gib:.1f} GiB Python {platform.python_version()} "
        f"({platform.system()} {platform.release()})"
    )


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


class Targets:
    """Collects target checks; `exit()` returns non-zero if any was missed."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def check(self, name: str, value: float, op: str, target: float, unit: str = "") -> bool:
        ok = value >= target if op == ">=" else value < target
        shown = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
        print(f"  [{verdict(ok)}] {name}: {shown}{unit} (target {op} {target:,}{unit})")
        if not ok:
            self.missed.append(name)
        return ok

    def exit(self) -> int:
        if self.missed:
            print(f"missed {len(self.missed)} target(s): {', '.join(self.missed)}")
            return 1
        print("all targets met")
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- PostgreSQL ------------------------------------------------------------------------------


@contextlib.contextmanager
def pg_database(tag: str) -> Iterator[str]:
    """A fresh database for one run, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"firebell_bench_{tag}_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


# --- playbook --------------------------------------------------------------------------------


def default_playbook() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "firebell", "playbook", "export-default"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return yaml.safe_load(out)


def bench_playbook(path: Path, webhook_url: str | None, rate_per_minute: int = 10_000_000) -> Path:
    """The default playbook with primary on-call engineers paged by webhook to `webhook_url`
    (immediately, any urgency) and the intake rate limits raised out of the way."""
    pb = default_playbook()
    if webhook_url is not None:
        for person in pb["people"]:
            if person["id"].startswith("primary-engineer-"):
                # The default playbook's people are placeholders (`example: true`), which
                # firebell never pages (`firebell.reserved`): without this the bench waited
                # for pages that could not come.
                person["example"] = False
                person["webhook_url"] = webhook_url
                person["notification_rules"] = [
                    {"method": "webhook", "delay": "0m", "urgency": "any"}
                ]
    for integration in pb["integrations"]:
        options = integration.setdefault("options", {})
        if integration["format"] != "heartbeat":
            options["rate_limit_per_minute"] = rate_per_minute
            options["rate_limit_burst"] = rate_per_minute
    path.write_text(yaml.safe_dump(pb, sort_keys=False))
    check = subprocess.run(
        [sys.executable, "-m", "firebell", "playbook", "validate", str(path)],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise SystemExit(f"bench playbook invalid:\n{check.stdout}{check.stderr}")
    return path


# --- webhook receiver ------------------------------------------------------------------------


class Receiver:
    """HTTP server in a thread: records (arrival perf_counter, JSON body) of each POST."""

    def __init__(self) -> None:
        self.pages: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver.cond:
                    receiver.pages.append((arrived, json.loads(body or b"{}")))
                    receiver.cond.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, incident_id: int, timeout: float) -> float | None:
        """Arrival time of the first page for `incident_id`, or None on timeout."""
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                for arrived, body in self.pages:
                    if body.get("incident_id") == incident_id:
                        return arrived
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(left)


# --- firebell serve ---------------------------------------------------------------------------


class Server:
    """`firebell serve` in a subprocess with its own FIREBELL_HOME."""

    def __init__(self, home: Path, playbook: Path, database_url: str | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
        env.update(FIREBELL_HOME=str(home), FIREBELL_PLAYBOOK=str(playbook))
        if database_url:
            env["FIREBELL_DATABASE_URL"] = database_url
        self.log = open(home / "serve.log", "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "firebell", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.token = ""

    def __enter__(self) -> Server:
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"firebell serve exited:\n{(self.home / 'serve.log').read_text()}")
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit(f"firebell serve did not become ready in {READY_WITHIN:.0f} s")
        self.token = json.loads((self.home / "cli.json").read_text())["token"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def integrations(self) -> dict[str, dict[str, Any]]:
        r = httpx.get(self.base + "/api/v1/integrations", headers=self.headers, timeout=10)
        r.raise_for_status()
        return {i["id"]: i for i in r.json()["integrations"]}


@contextlib.contextmanager
def temp_home(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"firebell-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
