"""`firebell serve` killed with SIGKILL between escalation steps, then restarted: every
level is paged exactly once. Real processes, real SQLite file, a real HTTP receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from paging._support import (
    Hit,
    HttpReceiver,
    add_policy,
    free_port,
    level,
    playbook_document,
    write_playbook,
)

pytestmark = pytest.mark.slow


def at_least(n: int) -> Callable[[list[Hit]], bool]:
    return lambda hits: len(hits) >= n


class Server:
    def __init__(self, home: Path, playbook: Path) -> None:
        self.home = home
        self.port = free_port()
        self.env = {**os.environ, "FIREBELL_HOME": str(home), "FIREBELL_PLAYBOOK": str(playbook)}
        for name in (
            "FIREBELL_DATABASE_URL",
            "FIREBELL_TOKEN",
            "FIREBELL_URL",
            "FIREBELL_SMTP_HOST",
        ):
            self.env.pop(name, None)
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.home.parent / f"serve-{self.port}.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "firebell", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "firebell serve exited"
            try:
                if httpx.get(self.url + "/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("firebell serve did not become ready")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def headers(self) -> dict[str, str]:
        token = json.loads((self.home / "cli.json").read_text())["token"]
        return {"Authorization": f"Bearer {token}"}


def test_sigkill_between_steps_loses_no_page_and_sends_none_twice(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    service = add_policy(
        doc,
        "fast",
        [
            level("first", "0s", "dba"),
            level("second", "1s", "devops-lead"),
            level("third", "1s", "cto"),
        ],
        repeat=1,
        repeat_after="1s",
    )
    playbook = write_playbook(doc, tmp_path / "playbook.yaml")
    server = Server(tmp_path / "home", playbook)
    expected = ["dba", "devops-lead", "cto"] * 2
    try:
        server.start()
        declared = httpx.post(
            server.url + "/api/v1/incidents",
            json={"title": "Checkout is down", "severity": "P1", "service": service},
            headers=server.headers(),
        )
        assert declared.status_code in (200, 201), declared.text
        number = declared.json()["id"]

        # Kill the server as soon as the first page of each pass lands (its outcome may not
        # be recorded yet, and the next steps are timers still to fire), then restart it.
        for seen in (1, 4):
            receiver.wait_for(at_least(seen))
            server.kill()
            server.port = free_port()
            server.start()
        receiver.wait_for(lambda hits: len(hits) >= len(expected), timeout=30)
        time.sleep(1.2)  # longer than a step: room for a duplicate or an extra page

        hits = receiver.delivered()
        assert [h.person for h in hits] == expected
        per_page = Counter((h.json["pass"], h.json["level"], h.person) for h in hits)
        assert set(per_page.values()) == {1} and len(per_page) == 6
        assert set(Counter(h.message_id for h in hits).values()) == {1}

        timeline = httpx.get(
            f"{server.url}/api/v1/incidents/{number}/timeline", headers=server.headers()
        ).json()["events"]
        paged = [(e["details"]["pass"], e["details"]["level"]) for e in timeline
                 if e["kind"] == "level_paged"]  # fmt: skip
        assert paged == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
        assert [e["kind"] for e in timeline].count("paging_exhausted") == 1
    finally:
        server.stop()
