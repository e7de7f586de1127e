"""API tokens: 256 random bits, shown once, stored as a SHA-256 digest.

A token may expire (`expires_at`); revoking one takes effect on the next request, since
every request looks its token up. The last-used time is recorded at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from firebell.auth.principal import ROLES, Principal, Role
from firebell.clock import Clock
from firebell.errors import Conflict, Invalid, NotFound
from firebell.store.models import ApiToken, User

TOKEN_PREFIX = "fb_"
LAST_USED_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    clock: Clock,
    *,
    name: str,
    role: str,
    user: User | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored."""
    if role not in ROLES:
        raise Invalid.field("role", f"must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise Invalid.field("name", "a token needs a name")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= clock.now()):
        raise Invalid.field("expires_at", "must be a time in the future, with a time zone")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        role=role,
        user_id=user.id if user else None,
        digest=digest(secret),
        prefix=secret[:10],
        created_at=clock.now(),
        revoked_at=None,
        expires_at=expires_at,
        last_used_at=None,
    )
    session.add(row)
    session.flush()
    return row, secret


@dataclass(frozen=True)
class TokenState:
    """What decides whether a token works now (pure)."""

    revoked_at: datetime | None
    expires_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_EVERY


def authenticate(session: Session, token: str, now: datetime) -> Principal | None:
    """The token's principal, or None if it is unknown, revoked or expired. Records the
    last use in the caller's session when due: the caller commits."""
    row = session.scalars(select(ApiToken).where(ApiToken.digest == digest(token))).first()
    if row is None or not TokenState(row.revoked_at, row.expires_at).usable(now):
        return None
    if needs_touch(row.last_used_at, now):
        touch(session, row.id, now)  # the caller commits
    role: Role = row.role  # type: ignore[assignment]
    return Principal(row.name, role, row.id)


def touch(session: Session, token_id: int, now: datetime) -> None:
    """Record the last use (skipped if another request just did)."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_EVERY),
        )
        .values(last_used_at=now)
    )


def parse_expiry(text: str, now: datetime) -> datetime:
    """`30d`, `12h`, `1w` from now, or an ISO time with a zone (pure)."""
    from firebell.playbook.durations import Span

    try:
        span = Span.parse(text)
    except ValueError:
        pass
    else:
        return span.after(now)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid.field(
            "expires", f"'{text}' is neither a duration (30d, 12h) nor an ISO time"
        ) from None
    if when.tzinfo is None:
        raise Invalid.field("expires", "give a time zone, e.g. 2027-01-01T00:00:00Z")
    return when


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke(session: Session, token_id: int, now: datetime) -> ApiToken:
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise NotFound(f"token #{token_id} does not exist")
    if row.revoked_at is not None:
        raise Conflict(f"token #{token_id} was revoked at {row.revoked_at.isoformat()}")
    row.revoked_at = now
    return row


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
