"""API tokens for people: the console's "My tokens" and the admin's list of all tokens.

The same functions as `/api/v1/tokens` and `firebell token` (`firebell.auth.tokens`), with
an owner: a personal token belongs to a user, and its role is never wider than the user's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import ROLES, Role
from firebell.auth.tokens import TokenState, create_token, parse_expiry, revoke
from firebell.clock import Clock
from firebell.errors import Invalid, NotFound
from firebell.store.db import transaction
from firebell.store.models import ApiToken, User

TokenStateName = Literal["active", "expired", "revoked"]


def role_within(own: str, wanted: str) -> Role:
    """`wanted` if it is a role no wider than `own` (pure); else Invalid naming the field."""
    role = next((r for r in ROLES if r == wanted), None)
    if role is None:
        raise Invalid.field("role", f"must be one of {', '.join(ROLES)}")
    mine = next((r for r in ROLES if r == own), None)
    if mine is None or ROLES.index(role) > ROLES.index(mine):
        raise Invalid.field("role", f"a token cannot have more than your own role ('{own}')")
    return role


def state_of(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    return "active" if TokenState(revoked_at, expires_at).usable(now) else "expired"


@dataclass(frozen=True)
class TokenView:
    """A token as pages show it: never the secret, only its first characters."""

    id: int
    name: str
    role: str
    prefix: str
    owner: str | None
    state: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken, owner: str | None, now: datetime) -> TokenView:
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            owner=owner,
            state=state_of(row.revoked_at, row.expires_at, now),
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
        )


class Tokens:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def create_personal(
        self, user_id: int, name: str, role: str, expires: str = ""
    ) -> tuple[TokenView, str]:
        """A token owned by the user; returns it and its secret (shown once)."""
        name = name.strip()
        if not name or len(name) > 200:
            raise Invalid.field("name", "give a name of 1 to 200 characters")
        now = self.clock.now()
        expires_at = parse_expiry(expires.strip(), now) if expires.strip() else None
        if expires_at is not None and expires_at <= now:
            raise Invalid.field("expires", "must be a time in the future")
        with transaction(self.sessions) as session:
            user = session.get(User, user_id)
            if user is None or user.disabled_at is not None:
                raise NotFound("your account is unknown or disabled")
            granted = role_within(user.role, role)
            row, secret = create_token(
                session, self.clock, name=name, role=granted, user=user, expires_at=expires_at
            )
            return TokenView.of(row, user.name, now), secret

    def list(self, user_id: int | None = None) -> list[TokenView]:
        """The user's tokens, or (None) every token with its owner's name."""
        now = self.clock.now()
        query = (
            select(ApiToken, User.name)
            .outerjoin(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.id.desc())
        )
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        with self.sessions() as session:
            return [TokenView.of(row, owner, now) for row, owner in session.execute(query)]

    def revoke(self, token_id: int, owner_id: int | None) -> TokenView:
        """Revoke a token; with `owner_id`, only one of that user's (else NotFound, telling
        nothing about other people's tokens)."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(ApiToken, token_id)
            if row is None or (owner_id is not None and row.user_id != owner_id):
                raise NotFound(f"token #{token_id} does not exist")
            row = revoke(session, token_id, now)
            owner = session.get(User, row.user_id) if row.user_id is not None else None
            return TokenView.of(row, owner.name if owner else None, now)
