"""Console users: linked to a playbook person, with a role and an argon2id password.

A new user (and a reset one) gets a one-time link to set a password: 256 random bits,
of which only a SHA-256 digest is stored, valid for `SETUP_VALID`. Passwords are hashed
with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import ROLES, Principal, Role
from firebell.clock import Clock
from firebell.errors import Conflict, Invalid, NotFound
from firebell.playbook.schema import Playbook
from firebell.store.db import transaction
from firebell.store.models import User, WebSession

SETUP_VALID = timedelta(days=2)
SETUP_PATH = "/console/setup/"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserView:
    """A user as pages and the CLI show it (no secrets)."""

    id: int
    name: str
    role: str
    person: str | None
    email: str | None
    has_password: bool
    disabled: bool
    created_at: datetime
    sso_linked: bool = False  # signed in once with single sign-on (issuer + subject kept)

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            name=user.name,
            role=user.role,
            person=user.person,
            email=user.email,
            has_password=user.password_hash is not None,
            disabled=user.disabled_at is not None,
            created_at=user.created_at,
            sso_linked=user.sso_subject is not None,
        )

    @property
    def principal(self) -> Principal:
        role: Role = self.role  # type: ignore[assignment]
        return Principal(self.name, role, person=self.person)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid.field("password", f"use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Invalid.field("password", f"use at most {MAX_PASSWORD} characters")


class Accounts:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, playbook: Playbook, base_url: str
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.base_url = base_url.rstrip("/")

    def setup_link(self, secret: str) -> str:
        return f"{self.base_url}{SETUP_PATH}{secret}"

    # --- administration (CLI, admin page) ----------------------------------------------

    def add(
        self, name: str, role: str, person: str | None = None, email: str | None = None
    ) -> tuple[UserView, str]:
        """Create a user; returns it and its one-time set-password link."""
        name = name.strip()
        if not name or len(name) > 200:
            raise Invalid.field("name", "give a name of 1 to 200 characters")
        if role not in ROLES:
            raise Invalid.field("role", f"must be one of {', '.join(ROLES)}")
        if person is not None and person not in {p.id for p in self.playbook.people}:
            raise Invalid.field("person", f"'{person}' is not one of the playbook's people")
        with transaction(self.sessions) as session:
            if session.scalars(select(User).where(User.name == name)).first() is not None:
                raise Conflict(f"a user named '{name}' already exists")
            user = User(
                name=name, email=email, role=role, person=person, created_at=self.clock.now()
            )
            session.add(user)
            session.flush()
            secret = self._new_setup(user)
            return UserView.of(user), self.setup_link(secret)

    def list(self) -> list[UserView]:
        with self.sessions() as session:
            return [UserView.of(u) for u in session.scalars(select(User).order_by(User.name))]

    def reset(self, name: str) -> str:
        """Forget the password and the single sign-on link, sign the user out everywhere,
        return a new set-password link."""
        with transaction(self.sessions) as session:
            user = self._named(session, name)
            user.password_hash = None
            user.sso_issuer = None
            user.sso_subject = None
            self._revoke_all(session, user.id)
            return self.setup_link(self._new_setup(user))

    def disable(self, name: str) -> UserView:
        with transaction(self.sessions) as session:
            user = self._named(session, name)
            if user.disabled_at is None:
                user.disabled_at = self.clock.now()
            user.setup_digest = None
            self._revoke_all(session, user.id)
            return UserView.of(user)

    def setup_for_admin(self, name: str = "admin") -> str | None:
        """A set-password link for the first start's admin (None if it has a password)."""
        with transaction(self.sessions) as session:
            user = session.scalars(select(User).where(User.name == name)).first()
            if user is None or user.password_hash is not None:
                return None
            return self.setup_link(self._new_setup(user))

    # --- the user's own actions ------------------------------------------------------

    def setup_user(self, secret: str) -> UserView:
        """Who a set-password link is for; NotFound if it is unknown, used or expired."""
        with self.sessions() as session:
            return UserView.of(self._by_setup(session, secret))

    def set_password(self, secret: str, password: str) -> UserView:
        check_password(password)
        with transaction(self.sessions) as session:
            user = self._by_setup(session, secret)
            user.password_hash = _hasher.hash(password)
            user.setup_digest = None
            user.setup_expires_at = None
            return UserView.of(user)

    def verify(self, name: str, password: str) -> UserView | None:
        """The user if the name and password match an enabled account, else None."""
        if len(password) > MAX_PASSWORD:
            return None
        with self.sessions() as session:
            user = session.scalars(select(User).where(User.name == name)).first()
        stored = user.password_hash if user is not None else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or stored is None or user.disabled_at is not None:
            return None
        if _hasher.check_needs_rehash(stored):
            with transaction(self.sessions) as session:
                row = session.get(User, user.id)
                if row is not None:
                    row.password_hash = _hasher.hash(password)
        return UserView.of(user)

    # --- helpers ---------------------------------------------------------------------

    def _new_setup(self, user: User) -> str:
        secret = secrets.token_urlsafe(32)
        user.setup_digest = digest(secret)
        user.setup_expires_at = self.clock.now() + SETUP_VALID
        return secret

    def _by_setup(self, session: Session, secret: str) -> User:
        user = session.scalars(select(User).where(User.setup_digest == digest(secret))).first()
        if (
            user is None
            or user.disabled_at is not None
            or user.setup_expires_at is None
            or user.setup_expires_at <= self.clock.now()
        ):
            raise NotFound("this set-password link is unknown, used or expired; ask an admin")
        return user

    @staticmethod
    def _named(session: Session, name: str) -> User:
        user = session.scalars(select(User).where(User.name == name)).first()
        if user is None:
            raise NotFound(f"no user named '{name}'")
        return user

    def _revoke_all(self, session: Session, user_id: int) -> None:
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=self.clock.now())
        )
