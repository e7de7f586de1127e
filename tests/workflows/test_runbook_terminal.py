"""`firebell runbook start` in a real terminal (tmux), against a real `firebell serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# tmux (Debian package) is installed by .ci/run.
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
    env["FIREBELL_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [sys.executable, "-m", "firebell", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("firebell serve did not become ready")
    try:
        yield {**env, "FIREBELL_URL": url}
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class Terminal:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env

    def start(self, command: str) -> None:
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "100", "-y", "50", command],
            env=self.env,
            check=True,
        )

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-S", "-200", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait_for(self, text: str, seconds: float = 20) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


def test_walk_the_database_workflow_in_a_terminal(served: dict[str, str]) -> None:
    firebell = f"{sys.executable} -m firebell"
    declared = subprocess.run(
        [
            sys.executable,
            "-m",
            "firebell",
            "declare",
            "DB CPU at 92%",
            "--severity",
            "P2",
            "--service",
            "database",
            "--json",
        ],
        env=served,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert declared.returncode == 0, declared.stderr
    term = Terminal(f"firebell-runbook-{os.getpid()}", served)
    term.start(f"{firebell} runbook start 1 database-performance; sleep 30")
    try:
        term.wait_for("Database Performance Issue on #1")
        term.wait_for("Alert: Database CPU > 85% for 10 min")
        term.send("Enter")  # alert
        term.wait_for("Acknowledge Alert (P1/P2)")
        term.send("Enter")
        screen = term.wait_for("Check DB Metrics")
        assert "$ kubectl top pods -n aurigraph-production" in screen
        assert "1) query cpu high" in screen and "2) i/o or connection bottleneck" in screen
        term.send("2", "Enter")
        screen = term.wait_for("Check Conn Pool")
        assert "$ SELECT count(*) FROM pg_stat_activity;" in screen
        term.send("Enter")  # conn pool
        term.wait_for("Apply Fix")
        term.send("Enter")
        term.wait_for("Verify DB Performance")
        term.send("2", "Enter")  # still high
        term.wait_for("Do it now: page person dba?")
        term.send("y", "Enter")
        term.wait_for("done: paged dba")
        term.send("Enter")  # escalate step
        term.wait_for("Add Resources Or Read Replicas")
        term.send("Enter")
        term.wait_for("Re-verify & Close")
        term.send("Enter")
        term.wait_for("Finished: 9 steps on the timeline of #1.")
    finally:
        term.close()
    timeline = subprocess.run(
        [sys.executable, "-m", "firebell", "timeline", "1", "--json"],
        env=served,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert timeline.returncode == 0, timeline.stderr
    assert timeline.stdout.count('"runbook_step"') == 9
    assert '"people_paged"' in timeline.stdout
