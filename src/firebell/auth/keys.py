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

KEY_FILE = "secret.key"


def master_key(home: Path) -> bytes:
    from_env = os.environ.get("FIREBELL_SECRET_KEY")
    if from_env:
        return from_env.encode()
    path = home / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def derive(master: bytes, purpose: str, length: int = 32) -> str:
    """A stable secret for `purpose`: hex, `length` characters."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).hexdigest()[:length]
