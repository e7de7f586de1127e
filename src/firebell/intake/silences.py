"""Silences and maintenance silences in storage: create, list the current ones, expire.

Matching alerts are recorded but page nobody while a silence is active (the intake reads
the table). The API route and the console both call this, so they check the same things.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Invalid, NotFound
from firebell.intake.routing import Matcher
from firebell.playbook.schema import Playbook
from firebell.store.db import reading, transaction
from firebell.store.models import Silence


@dataclass(frozen=True)
class NewSilence:
    ends_at: datetime
    comment: str
    kind: str = "silence"  # silence | maintenance
    service: str | None = None
    matchers: Sequence[tuple[str, str, str]] = ()  # (field, op, value)
    starts_at: datetime | None = None  # None: now


class Silences:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, playbook: Callable[[], Playbook]
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook

    def create(self, new: NewSilence, actor: Principal) -> Silence:
        now = self.clock.now()
        starts = new.starts_at or now
        if new.ends_at <= starts:
            raise Invalid.field("ends_at", "must be after starts_at")
        if not new.matchers and new.service is None:
            raise Invalid.field(
                "matchers", "give matchers or a service: a silence of everything is refused"
            )
        if new.service is not None and self.playbook().service(new.service) is None:
            raise Invalid.field("service", f"unknown service '{new.service}'")
        for i, (name, op, value) in enumerate(new.matchers):
            try:
                Matcher(name, op, value)  # type: ignore[arg-type]
            except ValueError as exc:
                raise Invalid.field(f"matchers[{i}]", str(exc)) from None
        with transaction(self.sessions) as session:
            row = Silence(
                kind=new.kind,
                service=new.service,
                matchers={"all": [{"field": f, "op": o, "value": v} for f, o, v in new.matchers]},
                starts_at=starts,
                ends_at=new.ends_at,
                comment=new.comment,
                created_by=actor.name,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row

    def current(self) -> list[Silence]:
        """Active and future silences, soonest first."""
        now = self.clock.now()
        with reading(self.sessions) as session:
            return list(
                session.scalars(
                    select(Silence).where(Silence.ends_at > now).order_by(Silence.starts_at)
                )
            )

    def expire(self, silence_id: int) -> None:
        """End a silence now (it stays in history)."""
        with transaction(self.sessions) as session:
            row = session.get(Silence, silence_id)
            if row is None:
                raise NotFound(f"no silence #{silence_id}")
            row.ends_at = min(row.ends_at, self.clock.now())
