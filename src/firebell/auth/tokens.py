"""API tokens: 256 random bits, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.principal import ROLES, Principal, Role
from firebell.clock import Clock
from firebell.errors import Invalid
from firebell.store.models import ApiToken, User

TOKEN_PREFIX = "fb_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, clock: Clock, *, name: str, role: str, user: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored."""
    if role not in ROLES:
        raise Invalid.field("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise Invalid.field("name", "a token needs a name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        role=role,
        user_id=user.id if user else None,
        digest=digest(secret),
        prefix=secret[:10],
        created_at=clock.now(),
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, secret


def authenticate(session: Session, token: str) -> Principal | None:
    row = session.scalars(select(ApiToken).where(ApiToken.digest == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    role: Role = row.role  # type: ignore[assignment]
    return Principal(row.name, role, row.id)


def ensure_admin(session: Session, clock: Clock) -> str | None:
    """On first start: an admin user and a token for it. Returns the token, or None if
    an admin already exists (the token was printed on the first start only)."""
    if session.scalars(select(User).where(User.role == "admin")).first() is not None:
        return None
    user = User(name="admin", email=None, role="admin", created_at=clock.now())
    session.add(user)
    session.flush()
    _, secret = create_token(session, clock, name="admin", role="admin", user=user)
    return secret
