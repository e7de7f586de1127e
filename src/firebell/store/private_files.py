"""Files only the owner may read: the data directory 0700, what is in it 0600.

The SQLite database holds incidents (private ones too), the secret key derives every
integration key, and cli.json holds an admin token. SQLite creates its `-wal` and `-shm`
files with the permissions of the database file, so the database is created 0600 before
SQLite first opens it; files left by older versions are tightened at start.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create the directory (and parents) if needed; the directory itself ends up 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Tighten an existing file to 0600 (nothing if it does not exist)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
            path.chmod(FILE_MODE)
    except FileNotFoundError:
        pass


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///…` URL; None for PostgreSQL or an in-memory database."""
    from sqlalchemy.engine import make_url  # here: the CLI client imports this module

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_sqlite(url: str) -> None:
    """Before SQLite opens it: its directory private, the database file created 0600,
    and any -wal/-shm/-journal file there already tightened."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for suffix in SQLITE_SUFFIXES:
        private_file(path.with_name(path.name + suffix))
