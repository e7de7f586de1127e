"""Proof of the first hour, from a clone of this repository with nothing beside it:
install, `firebell init --non-interactive` pointed at a local SMTP server, `firebell
serve`, and pages arriving there (the test page, then a declared incident's page).

Installs into the running interpreter's environment with `pip install --no-deps` from
the clone (the dependencies are already there: a full resolve is slow), and runs the
installed `firebell` from a working directory outside both trees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.firstrun.conftest import init_flags
from tests.paging._support import SmtpReceiver, free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def wait_for_mail(smtp: SmtpReceiver, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(smtp.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp.messages) >= count, [m["Subject"] for m in smtp.messages]


def test_clone_install_init_serve_page(tmp_path: Path, smtp: SmtpReceiver) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")  # pragma: no cover
    clone = tmp_path / "clone" / "firebell"
    run(["git", "clone", "--quiet", str(REPO), str(clone)], tmp_path, dict(os.environ))
    assert list(clone.parent.iterdir()) == [clone]  # nothing beside the clone
    venv = tmp_path / "venv"
    run(
        [sys.executable, "-m", "venv", str(venv)],
        tmp_path,
        dict(os.environ),
    )
    python = venv / "bin" / "python"
    # The dependencies come from this test's environment (after the venv's own packages,
    # so the clone installed there is the firebell that runs).
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        tmp_path,
        dict(os.environ),
    )
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site.strip(), "zz_test_deps.pth").write_text("\n".join(deps) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBELL_", "PYTHONPATH"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            str(clone),
        ],
        tmp_path,
        env,
        600,
    )
    firebell = str(venv / "bin" / "firebell")
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = run([str(python), "-c", "import firebell; print(firebell.__file__)"], work, env)
    assert str(venv) in where, where  # the installed copy, not this worktree

    home = tmp_path / "home"
    port = free_port()
    env["FIREBELL_HOME"] = str(home)
    env["FIREBELL_PORT"] = str(port)
    out = run([firebell, *init_flags(smtp.controller.port)], work, env)
    assert "test page by email to ada@acme.io: sent" in out
    wait_for_mail(smtp, 1)
    assert smtp.messages[0]["Subject"] == "[firebell] test page"

    server = subprocess.Popen(
        [firebell, "serve"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            server.kill()
            pytest.fail("serve did not start:\n" + server.communicate(timeout=30)[0])
        declared = run(
            [firebell, "declare", "Checkout is down", "--severity", "P1", "--json"], work, env
        )
        assert '"commander"' in declared
        wait_for_mail(smtp, 2)
        page = smtp.messages[1]
        assert page["To"] == "ada@acme.io" and "Checkout is down" in page["Subject"]
        doctor = subprocess.run(
            [firebell, "doctor"], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "firebell answers at" in doctor.stdout
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"playbook {home / 'playbook.yaml'}" in output  # serve read the settings file
