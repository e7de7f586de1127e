"""Starting on a database: one clear line when it cannot be opened; several processes
starting together on a fresh database all succeed (migrations under a lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.store.db import make_engine
from firebell.store.models import PlaybookVersion, User
from tests.conftest import PG_ADMIN_URL

runner = CliRunner()
PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]

# Each process imports everything first, then waits for the same instant to start, so
# that their migrations really overlap.
STARTER = """
import sys, time
from pathlib import Path
from firebell.config import Settings
from firebell.runtime import build_runtime
from firebell.auth.tokens import ensure_admin
from firebell.store.db import serialize, transaction
from firebell.store.migrate import STARTUP_LOCK
url, home, at = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
time.sleep(max(0.0, at - time.time()))
runtime = build_runtime(Settings(home=home, database_url=url, playbook_path=None))
with transaction(runtime.sessions) as session:
    serialize(session, STARTUP_LOCK)
    ensure_admin(session, runtime.clock)
runtime.close()
print("started")
"""


def start_together(url: str, home: Path, count: int = 3) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "FIREBELL_SECRET_KEY": "k" * 48}
    at = time.time() + 8  # imports take a few seconds on a busy machine
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, url, str(home), str(at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def assert_started_once(url: str, results: list[subprocess.CompletedProcess[str]]) -> None:
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "started"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert conn.scalar(select(func.count()).select_from(PlaybookVersion)) == 1
            assert conn.scalar(select(func.count()).select_from(User)) == 1
    finally:
        engine.dispose()


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    name = f"firebell_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"{PG_BASE}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_processes_starting_together_on_fresh_postgres(fresh_postgres: str, tmp_path: Path) -> None:
    assert_started_once(fresh_postgres, start_together(fresh_postgres, tmp_path))


@pytest.mark.slow
def test_processes_starting_together_on_fresh_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'firebell.db'}"
    assert_started_once(url, start_together(url, tmp_path))


@pytest.mark.postgres
def test_a_missing_postgres_database_is_one_clear_line(tmp_path: Path) -> None:
    url = f"{PG_BASE}/firebell_missing_{uuid.uuid4().hex[:8]}"
    result = runner.invoke(
        app,
        [
            "token",
            "create",
            "--role",
            "admin",
            "--name",
            "x",
            "--home",
            str(tmp_path),
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: cannot open the database postgresql+psycopg://")
    assert "does not exist" in lines[0] and "createdb firebell_missing_" in lines[0]
    assert "Traceback" not in result.output


def test_an_unreachable_postgres_server_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/firebell"
    result = runner.invoke(
        app, ["doctor", "--offline", "--home", str(tmp_path), "--database-url", url]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot open the database" in lines[0], result.output
    assert "is the database server running" in lines[0]
