"""Who is calling, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "responder", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "responder", "admin")


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    token_id: int | None = None
    person: str | None = None  # the playbook person a console user is linked to

    @property
    def names(self) -> frozenset[str]:
        """Whom this caller is, for membership of a private incident: its own name and
        the playbook person it acts as (who is paged, given roles, assigned tasks)."""
        return frozenset(n for n in (self.name, self.person) if n)

    def has(self, needed: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)

    @property
    def sees_private(self) -> bool:
        """Sees *every* private incident (admins). Others see the private incidents they
        are members of: `firebell.incidents.visibility`."""
        return self.role == "admin"


SYSTEM = Principal("firebell", "admin")
