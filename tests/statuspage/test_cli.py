"""The status page commands of the real CLI against `firebell serve` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from paging._support import free_port

FIREBELL = [sys.executable, "-m", "firebell"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    port = free_port()
    env = {**os.environ, "FIREBELL_HOME": str(tmp_path / "home")}
    for name in ("FIREBELL_DATABASE_URL", "FIREBELL_TOKEN", "FIREBELL_URL", "FIREBELL_SMTP_HOST"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [*FIREBELL, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("firebell serve did not become ready")
        yield env, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FIREBELL, *args], env=env, capture_output=True, text=True, timeout=60)


def test_component_override_maintenance_and_subscribers(
    server: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, url = server
    declared = cli(
        env,
        "declare",
        "Bridge stuck",
        "--severity",
        "P1",
        "--service",
        "cross-chain-bridge",
        "--json",
    )
    assert declared.returncode == 0, declared.stderr
    number = str(json.loads(declared.stdout)["id"])
    done = cli(env, "component-status", number, "cross-chain-bridge", "major_outage")
    assert done.returncode == 0, done.stderr
    bad = cli(env, "component-status", number, "cross-chain-bridge", "on_fire")
    assert bad.returncode == 1 and "status" in bad.stderr
    timeline = cli(env, "timeline", number)
    assert "component_status_set" in timeline.stdout

    window_args = ["--start", "2099-01-01T02:00:00Z", "--end", "2099-01-01T03:00:00Z"]
    scheduled = cli(
        env, "maintenance", "schedule", "--title", "Bridge upgrade",
        "--component", "cross-chain-bridge", *window_args, "--json",
    )  # fmt: skip
    assert scheduled.returncode == 0, scheduled.stderr
    window = json.loads(scheduled.stdout)
    assert window["status"] == "scheduled"
    listed = cli(env, "maintenance", "list")
    assert "Bridge upgrade" in listed.stdout and "scheduled" in listed.stdout
    assert cli(env, "maintenance", "cancel", str(window["id"])).returncode == 0
    upcoming = httpx.get(url + "/api/v2/scheduled-maintenances/upcoming.json").json()
    assert upcoming["scheduled_maintenances"] == []

    csv_file = tmp_path / "subs.csv"
    csv_file.write_text("kind,address,components\nemail,a@example.com,database\n")
    imported = cli(env, "subscribers", "import", str(csv_file))
    assert imported.returncode == 0 and "Imported 1" in imported.stdout, imported.stderr
    added = cli(env, "subscribers", "add", "https://hooks.example.com/x", "--webhook", "--json")
    assert added.returncode == 0 and len(json.loads(added.stdout)["secret"]) == 64
    exported = cli(env, "subscribers", "export")
    assert exported.stdout.splitlines()[1].startswith("email,a@example.com,database,active")
    assert "hooks.example.com" in cli(env, "subscribers", "list").stdout
    assert cli(env, "subscribers", "remove", "1").returncode == 0
    assert "a@example.com" not in cli(env, "subscribers", "list").stdout

    page = cli(env, "status-page", "--json")
    assert page.returncode == 0
    assert json.loads(page.stdout)["status"]["indicator"] == "none"  # nothing published yet
