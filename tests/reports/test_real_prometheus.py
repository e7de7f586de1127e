"""A real Prometheus (the Debian package's /usr/bin/prometheus) scrapes firebell's
/metrics with a bearer token, and its query API returns our figures."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import make_token
from fastapi.testclient import TestClient

from firebell.api.app import create_app
from firebell.runtime import Runtime

pytestmark = pytest.mark.slow
PROMETHEUS = shutil.which("prometheus")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.skipif(PROMETHEUS is None, reason="needs the 'prometheus' Debian package")
def test_prometheus_scrapes_firebell(
    runtime: Runtime,
    served: str,
    app_client: TestClient,
    responder: dict[str, str],
    tmp_path: Path,
) -> None:
    for severity in ("P0", "P0", "P2"):
        app_client.post(
            "/api/v1/incidents", json={"title": "x", "severity": severity}, headers=responder
        )
    token = tmp_path / "token"
    token.write_text(make_token(runtime, "viewer", "prometheus"))
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: firebell\n"
        "    scrape_interval: 1s\n"
        f"    authorization: {{credentials_file: {token}}}\n"
        f"    static_configs: [{{targets: ['{served}']}}]\n"
    )
    web = f"127.0.0.1:{_port()}"
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address={web}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        value = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = httpx.get(
                    f"http://{web}/api/v1/query",
                    params={"query": 'firebell_open_incidents{severity="P0"}'},
                    timeout=2,
                )
                result = r.json()["data"]["result"] if r.status_code == 200 else []
            except httpx.HTTPError:
                result = []
            if result:
                value = float(result[0]["value"][1])
                break
            time.sleep(0.5)
        assert value == 2
        targets = httpx.get(f"http://{web}/api/v1/targets", timeout=5).json()
        active = targets["data"]["activeTargets"]
        assert [t["health"] for t in active] == ["up"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
