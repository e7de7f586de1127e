"""Run Alembic migrations from inside the package (no alembic.ini needed by users).

Several processes may start together on a fresh database (`serve` plus `worker`s, or a
deployment's replicas): migrations run under a lock, so one process migrates and the
others wait, then find nothing to do. On PostgreSQL the lock is a session advisory lock;
on SQLite, an exclusive file lock beside the database file.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6D696772  # "migr": the advisory lock key for migrations
STARTUP_LOCK = 0x73747274  # "strt": first-start rows (playbook version, admin user)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the installation-wide migration lock for the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            holder.commit()  # the session lock outlives the transaction
            try:
                yield
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                holder.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def describe_database_error(url: str, exc: Exception) -> str:
    """One line for a database that cannot be opened, with what to do about it."""
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    hint = ""
    if "does not exist" in reason and "database" in reason:
        name = make_url(url).database
        hint = f"; create it first (e.g. `createdb {name}`) or fix --database-url"
    elif "Connection refused" in reason or "could not connect" in reason.lower():
        hint = "; is the database server running, and is the host/port right?"
    elif "password authentication failed" in reason or "authentication" in reason:
        hint = "; check the user and password in the URL"
    elif "unable to open database file" in reason:
        hint = "; check that the directory exists and is writable"
    return f"cannot open the database {shown}: {reason}{hint}"
