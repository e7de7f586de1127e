"""`firebell serve` as a real process on a free port, driven by the real CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
def server(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    port = free_port()
    env = {**os.environ, "FIREBELL_HOME": str(tmp_path / "home")}
    env.pop("FIREBELL_DATABASE_URL", None)
    env.pop("FIREBELL_TOKEN", None)
    env.pop("FIREBELL_URL", None)
    proc = subprocess.Popen(
        [*FIREBELL, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a start is seconds; minutes on a loaded 2-core box
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        output = proc.stdout.read() if proc.stdout else ""
        pytest.fail("firebell serve did not become ready:\n" + output)
    try:
        yield env, url
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        print(out)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FIREBELL, *args], env=env, capture_output=True, text=True, timeout=60)


def test_declare_ack_resolve_timeline(server: tuple[dict[str, str], str]) -> None:
    env, _url = server
    # No FIREBELL_TOKEN: the CLI finds the token the first start saved in FIREBELL_HOME.
    declared = cli(env, "declare", "Checkout is down", "--severity", "P1", "--json")
    assert declared.returncode == 0, declared.stderr
    number = json.loads(declared.stdout)["id"]
    assert cli(env, "ack", str(number)).returncode == 0
    assert cli(env, "note", str(number), "rolled back v2").returncode == 0
    resolved = cli(env, "resolve", str(number))
    assert resolved.returncode == 0 and "Resolved incident" in resolved.stdout
    timeline = cli(env, "timeline", str(number))
    assert timeline.returncode == 0
    for kind in ("declared", "acknowledged", "note", "resolved"):
        assert kind in timeline.stdout
    listed = json.loads(cli(env, "incidents", "--json").stdout)
    assert listed["incidents"][0]["status"] == "resolved"
    again = cli(env, "ack", str(number))
    assert again.returncode == 1 and "HTTP 409" in again.stderr


def test_bad_token_and_unreachable_server(server: tuple[dict[str, str], str]) -> None:
    env, url = server
    bad = cli({**env, "FIREBELL_TOKEN": "fb_nope", "FIREBELL_URL": url}, "incidents")
    assert bad.returncode == 1
    assert "refused the token" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    gone = cli({**env, "FIREBELL_URL": f"http://127.0.0.1:{free_port()}"}, "incidents")
    assert gone.returncode == 2 and "cannot reach firebell" in gone.stderr


def test_offline_token_create(tmp_path: Path) -> None:
    env = {**os.environ, "FIREBELL_HOME": str(tmp_path)}
    env.pop("FIREBELL_DATABASE_URL", None)
    made = cli(env, "token", "create", "--role", "viewer", "--name", "dashboard")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("fb_")
    wrong = cli(env, "token", "create", "--role", "god", "--name", "x")
    assert wrong.returncode == 1 and "role" in wrong.stderr


def test_playbook_commands(tmp_path: Path) -> None:
    exported = cli(os.environ.copy(), "playbook", "export-default")
    assert exported.returncode == 0
    target = tmp_path / "p.yaml"
    target.write_text(exported.stdout)
    ok = cli(os.environ.copy(), "playbook", "validate", str(target))
    assert ok.returncode == 0 and "valid" in ok.stdout
    target.write_text(exported.stdout.replace("response_time: 5m", "response_time: soon", 1))
    bad = cli(os.environ.copy(), "playbook", "validate", str(target))
    assert bad.returncode == 1
    assert f"{target}:" in bad.stderr and "response_time" in bad.stderr
    shown = cli(os.environ.copy(), "playbook", "show", "--section", "sla")
    assert shown.returncode == 0 and "mtta_target" in shown.stdout


def test_serve_refuses_an_invalid_playbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organization: {name: x}\n")
    env = {**os.environ, "FIREBELL_HOME": str(tmp_path / "h")}
    result = cli(env, "serve", "--playbook", str(bad), "--port", str(free_port()))
    assert result.returncode == 1
    assert f"{bad}:" in result.stderr and "severities" in result.stderr


def test_token_list_revoke_and_expiry(server: tuple[dict[str, str], str]) -> None:
    env, url = server
    made = cli(env, "token", "create", "--role", "viewer", "--name", "dash", "--expires", "30d")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert "expires" in made.stderr
    as_dash = {**env, "FIREBELL_TOKEN": secret, "FIREBELL_URL": url}
    assert cli(as_dash, "incidents").returncode == 0
    listed = json.loads(cli(env, "token", "list", "--json").stdout)["tokens"]
    dash = next(t for t in listed if t["name"] == "dash")
    assert dash["state"] == "active" and dash["expires_at"] and dash["last_used_at"]
    table = cli(env, "token", "list")
    assert table.returncode == 0 and "dash" in table.stdout and secret not in table.stdout
    revoked = cli(env, "token", "revoke", str(dash["id"]))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    refused = cli(as_dash, "incidents")
    assert refused.returncode == 1 and "refused the token" in refused.stderr
    bad = cli(env, "token", "create", "--role", "viewer", "--name", "x", "--expires", "soon")
    assert bad.returncode == 1 and "expires" in bad.stderr
