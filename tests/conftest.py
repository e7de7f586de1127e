"""Shared fixtures: a real database (SQLite file or PostgreSQL), a frozen clock, the app."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from firebell.api.app import create_app
from firebell.auth.principal import Principal
from firebell.auth.tokens import create_token
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import make_engine, transaction
from firebell.store.migrate import upgrade
from firebell.store.models import Base

PG_ADMIN_URL = os.environ.get(
    "FIREBELL_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# One database per test session, so parallel runs (and a developer's run beside CI) never
# truncate each other's tables.
PG_DB = f"firebell_test_{os.getpid()}"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (a clean database in ~1 ms)."""
    path = tmp_path_factory.mktemp("template") / "firebell.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "firebell.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def runtime(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    settings = Settings(home=tmp_path, database_url=database_url, playbook_path=None)
    rt = build_runtime(settings, clock, migrate=False)
    yield rt
    rt.close()


def make_token(rt: Runtime, role: str, name: str | None = None) -> str:
    with transaction(rt.sessions) as session:
        _, secret = create_token(session, rt.clock, name=name or f"test-{role}", role=role)
    return secret


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def responder(runtime: Runtime) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(runtime, 'responder', 'alice')}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(runtime, 'admin', 'root')}"}


@pytest.fixture
def viewer(runtime: Runtime) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(runtime, 'viewer', 'val')}"}


ALICE = Principal("alice", "responder")
