"""Real processes for the integration proofs: `firebell serve` and Prometheus Alertmanager.

Every process is started by a fixture and killed in its teardown; every wait is a poll with
a deadline, so a broken build fails in seconds with the process log attached.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

FIREBELL = [sys.executable, "-m", "firebell"]
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
DEADLINE = 90.0  # seconds: the longest any single wait may take (a loaded 2-core machine needs it)
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = DEADLINE,
    interval: float = 0.1,
    log: Callable[[], str] | None = None,
) -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            extra = f"\n--- log ---\n{log()}" if log is not None else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


class Process:
    """A child process whose output goes to a file (no pipe to fill up and block it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(
            args, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (a crash, as far as the process can tell)."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log_file.close()

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        self.kill()


def firebell_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "FIREBELL_HOME": str(home)}
    for name in ("FIREBELL_DATABASE_URL", "FIREBELL_URL", "FIREBELL_TOKEN"):
        env.pop(name, None)
    return env


class PortTaken(Exception):
    """Someone else bound the free port between our check and the child's bind."""


def launch(
    name: str, args_for: Callable[[int], list[str]], env: dict[str, str], log_dir: Path, ready: str
) -> tuple[Process, int]:
    """Start a server on a free port and wait until `ready` answers 200; a port lost to a
    concurrent process is retried on another one. Never leaves a child behind on failure."""
    for _attempt in range(3):
        port = free_port()
        process = Process(name, args_for(port), env, log_dir / f"{name}-{port}.log")

        def answered(process: Process = process, port: int = port) -> bool:
            if not process.alive():
                if "address already in use" in process.log():
                    raise PortTaken
                pytest.fail(f"{name} exited ({process.proc.returncode}):\n{process.log()}")
            try:
                return httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(answered, f"{name} {ready}", log=process.log)
            return process, port
        except PortTaken:
            process.kill()
        except BaseException:
            process.kill()
            raise
    pytest.fail(f"{name}: three free ports were taken by other processes before it bound them")


class Firebell:
    """`python -m firebell serve` on a free loopback port."""

    def __init__(self, home: Path, database_url: str | None = None) -> None:
        self.home = home
        self.env = firebell_env(home)
        self._integrations: dict[str, dict[str, str]] | None = None
        extra = ["--database-url", database_url] if database_url is not None else []
        home.mkdir(parents=True, exist_ok=True)
        self.process, self.port = launch(
            "firebell",
            lambda port: [*FIREBELL, "serve", "--port", str(port), *extra],
            self.env,
            home,
            "/readyz",
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.process.log()

    @property
    def token(self) -> str:
        token: str = json.loads((self.home / "cli.json").read_text())["token"]
        return token

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def integrations(self) -> dict[str, dict[str, str]]:
        """Each integration by id, from `GET /api/v1/integrations` (admin token)."""
        if self._integrations is None:
            with self.api() as api:
                response = api.get("/api/v1/integrations")
            assert response.status_code == 200, response.text
            self._integrations = {i["id"]: i for i in response.json()["integrations"]}
        return self._integrations

    def integrations_cli(self) -> dict[str, dict[str, str]]:
        """`firebell integrations --json`, run as a user would (token found in cli.json)."""
        env = dict(self.env)
        if json.loads((self.home / "cli.json").read_text())["url"] != self.url:
            env["FIREBELL_URL"] = self.url  # only if the first port was lost to another process
        done = subprocess.run(
            [*FIREBELL, "integrations", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return {item["id"]: item for item in json.loads(done.stdout)["integrations"]}

    @property
    def sqlite_path(self) -> Path:
        return self.home / "firebell.db"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the SQLite database directly (WAL: readers never block the server)."""
        conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        self.process.stop()


class Alertmanager:
    """A real Prometheus Alertmanager on loopback, clustering off, private storage."""

    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "alertmanager.yml"
        self.config_path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        self.process, self.port = launch(
            "alertmanager",
            lambda port: [
                ALERTMANAGER,
                f"--config.file={self.config_path}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            dict(os.environ),
            workdir,
            "/-/ready",
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.process.log()

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        response = httpx.post(self.url + "/api/v2/alerts", json=alerts, timeout=10)
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        self.process.stop()


def pagerduty_key(firebell: Firebell) -> str:
    key: str = firebell.integrations()["pagerduty"]["key"]
    return key


def trigger(routing_key: str, dedup_key: str) -> dict[str, Any]:
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": f"integration test event {dedup_key}",
            "source": "firebell-integration-tests",
            "severity": "error",
        },
    }
