"""Server-side console sessions: revocable, listed, expiring.

The browser's cookie holds 256 random bits; the row holds their SHA-256 digest, the
session's CSRF token, where it signed in from, and when it expires. A session expires
after `IDLE` without use and at the latest `ABSOLUTE` after sign-in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.errors import NotFound
from firebell.store.db import reading, transaction
from firebell.store.models import User, WebSession
from firebell.web.accounts import UserView, digest

IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)  # write last-seen at most this often


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request: their account and this browser's session."""

    user: UserView
    session_id: int
    csrf: str


@dataclass(frozen=True)
class SessionView:
    id: int
    address: str
    agent: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def _expiry(created: datetime, now: datetime) -> datetime:
    return min(now + IDLE, created + ABSOLUTE)


class WebSessions:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def start(self, user: UserView, address: str, agent: str) -> str:
        """A new session for `user`; returns the cookie's secret."""
        secret = secrets.token_urlsafe(32)
        now = self.clock.now()
        with transaction(self.sessions) as session:
            session.add(
                WebSession(
                    digest=digest(secret),
                    user_id=user.id,
                    csrf=secrets.token_urlsafe(32),
                    address=address[:64],
                    agent=agent[:300],
                    created_at=now,
                    last_seen_at=now,
                    expires_at=_expiry(now, now),
                    revoked_at=None,
                )
            )
        return secret

    def lookup(self, secret: str) -> SignedIn | None:
        """The signed-in user for a cookie, or None (unknown, revoked, expired, disabled)."""
        now = self.clock.now()
        with reading(self.sessions) as session:  # every page view: never wait for a writer
            found = session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.digest == digest(secret))
            ).first()
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or row.expires_at <= now or user.disabled_at is not None:
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            with transaction(self.sessions) as session:
                live = session.get(WebSession, row.id)
                if live is not None:
                    live.last_seen_at = now
                    live.expires_at = _expiry(live.created_at, now)
        return SignedIn(UserView.of(user), row.id, row.csrf)

    def list(self, user_id: int) -> list[SessionView]:
        now = self.clock.now()
        with self.sessions() as session:
            rows = session.scalars(
                select(WebSession)
                .where(
                    WebSession.user_id == user_id,
                    WebSession.revoked_at.is_(None),
                    WebSession.expires_at > now,
                )
                .order_by(WebSession.last_seen_at.desc())
            )
            return [
                SessionView(r.id, r.address, r.agent, r.created_at, r.last_seen_at, r.expires_at)
                for r in rows
            ]

    def revoke(self, user_id: int, session_id: int) -> None:
        """End one of the user's own sessions (signing out is revoking the current one)."""
        with transaction(self.sessions) as session:
            row = session.get(WebSession, session_id)
            if row is None or row.user_id != user_id:
                raise NotFound(f"no session #{session_id}")
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
