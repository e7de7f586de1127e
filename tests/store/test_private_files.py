"""The data directory is 0700 and every file in it 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from firebell.cli.client import save_credentials
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.runtime import build_runtime
from firebell.store.private_files import sqlite_path
from tests.conftest import START


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_fresh_home_is_private(tmp_path: Path, loose_umask: None) -> None:
    home = tmp_path / "data" / "firebell"
    url = f"sqlite:///{home / 'firebell.db'}"
    runtime = build_runtime(
        Settings(home=home, database_url=url, playbook_path=None), FrozenClock(START)
    )
    try:
        with runtime.sessions() as session:  # WAL and shared memory exist while open
            session.connection()
            assert mode(home) == 0o700
            for name in ("firebell.db", "firebell.db-wal", "firebell.db-shm", "secret.key"):
                assert mode(home / name) == 0o600, name
    finally:
        runtime.close()
    saved = save_credentials(home, "http://127.0.0.1:8080", "fb_secret")
    assert mode(saved) == 0o600


def test_files_left_world_readable_are_tightened(tmp_path: Path, loose_umask: None) -> None:
    home = tmp_path / "old"
    home.mkdir(mode=0o755)
    for name in ("firebell.db", "cli.json"):
        (home / name).write_text("")
        (home / name).chmod(0o644)
    home.chmod(0o755)
    url = f"sqlite:///{home / 'firebell.db'}"
    build_runtime(
        Settings(home=home, database_url=url, playbook_path=None), FrozenClock(START)
    ).close()
    assert mode(home) == 0o700
    assert mode(home / "firebell.db") == 0o600
    assert mode(home / "secret.key") == 0o600
    save_credentials(home, "http://x", "fb_y")
    assert mode(home / "cli.json") == 0o600


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:////var/lib/fb.db") == Path("/var/lib/fb.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None
