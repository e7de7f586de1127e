"""The installation's master key, and the secrets derived from it.

Integration keys and the webhook signing secret must be *usable* by firebell (shown to
an admin, used to sign), so they cannot be stored as one-way digests. Instead they are
derived with HMAC-SHA256 from one master key that lives outside the database
(``FIREBELL_SECRET_KEY``, or ``$FIREBELL_HOME/secret.key`` created with mode 0600): a copy
of the database alone reveals no secret. Several processes on PostgreSQL must share the
same ``FIREBELL_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from firebell.store.private_files import private_dir, private_file

KEY_FILE = "secret.key"


def master_key(home: Path) -> bytes:
    from_env = os.environ.get("FIREBELL_SECRET_KEY")
    if from_env:
        return from_env.encode()
    path = home / KEY_FILE
    if not path.exists():
        private_dir(home)
        # Written whole to a temporary file, then linked into place: a reader never
        # sees a half-written (or empty) key, and of two racing processes one key wins.
        temp = home / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_urlsafe(48).encode())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process made it first: use its key
        finally:
            temp.unlink()
    private_file(path)
    value = path.read_bytes().strip()
    if len(value) < 32:
        raise RuntimeError(f"{path} holds no usable key; remove it to make a new one")
    return value


def derive(master: bytes, purpose: str, length: int = 32) -> str:
    """A stable secret for `purpose`: hex, `length` characters."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).hexdigest()[:length]
