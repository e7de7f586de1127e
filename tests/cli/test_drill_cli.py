"""`firebell drill schedule` and `firebell drill report --format html` against a real
`firebell serve` process on a free port (the built-in playbook, the system clock)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

FIREBELL = [sys.executable, "-m", "firebell"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    environment = {**os.environ, "FIREBELL_HOME": str(tmp_path / "home")}
    for name in ("FIREBELL_DATABASE_URL", "FIREBELL_TOKEN", "FIREBELL_URL"):
        environment.pop(name, None)
    proc = subprocess.Popen(
        [*FIREBELL, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # the machine may be loaded
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("firebell serve did not become ready")
    try:
        yield {**environment, "FIREBELL_URL": url}
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FIREBELL, *args], env=env, capture_output=True, text=True, timeout=60)


def test_schedule_and_html_report(env: dict[str, str]) -> None:
    listed = cli(env, "drill", "schedule", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    drills = data["drills"]
    # the built-in programme: four quarterly drills and the annual DR test within a year
    assert sorted(d["plan"] for d in drills) == [
        "annual-disaster-recovery",
        "quarterly-complete-outage",
        "quarterly-database-failover",
        "quarterly-security-breach",
        "quarterly-third-party-outage",
    ]
    starts = [datetime.fromisoformat(d["starts_at"]) for d in drills]
    assert starts == sorted(starts) and starts[0] > datetime.now(UTC)
    table = cli(env, "drill", "schedule")
    assert table.returncode == 0, table.stderr
    assert drills[0]["plan"] in table.stdout
    assert "Organisers are reminded 1w, 1d before each drill." in table.stdout
    assert f"Start the next one with: {drills[0]['command']}" in table.stdout
    none = cli(env, "drill", "schedule", "--days", "1")
    assert none.returncode == 0 and "No drill planned in the next 1 days." in none.stdout
    bad = cli(env, "drill", "schedule", "--days", "0")
    assert bad.returncode == 1 and "days" in bad.stderr

    started = cli(
        env, "drill", "start", "database-failover", "--participants", "dba,dba-backup", "--json"
    )
    assert started.returncode == 0, started.stderr
    number = str(json.loads(started.stdout)["incident_id"])
    assert cli(env, "ack", number).returncode == 0
    html = cli(env, "drill", "report", number, "--format", "html")
    assert html.returncode == 0, html.stderr
    assert html.stdout.startswith("<!doctype html>")
    assert "<title>Drill report: Database failover (incident #" in html.stdout
    assert "<script" not in html.stdout and "<link" not in html.stdout
    markdown = cli(env, "drill", "report", number)
    assert markdown.stdout.startswith("# Drill report: Database failover")
    wrong = cli(env, "drill", "report", number, "--format", "pdf")
    assert wrong.returncode == 2 and "pdf" in wrong.stderr
