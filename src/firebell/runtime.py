"""Wiring: one object that holds the database, the playbook, the clock and the services.

`firebell serve`, `firebell worker`, offline CLI commands and the tests all build the same
Runtime, so there is exactly one way the pieces are put together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock, SystemClock
from firebell.config import Settings
from firebell.incidents.service import IncidentService
from firebell.playbook.loader import LoadedPlaybook, load_playbook
from firebell.store.db import make_engine, make_sessionmaker, transaction
from firebell.store.migrate import upgrade
from firebell.store.models import PlaybookVersion


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    playbook: LoadedPlaybook
    engine: Engine
    sessions: sessionmaker[Session]
    incidents: IncidentService = field(init=False)

    def __post_init__(self) -> None:
        self.incidents = IncidentService(self.sessions, self.clock, self.playbook)

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(
    settings: Settings, clock: Clock | None = None, *, migrate: bool = True
) -> Runtime:
    """Load the playbook (raising PlaybookError if invalid), open and migrate the database."""
    playbook = load_playbook(settings.playbook_path)
    if settings.database_url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    clock = clock or SystemClock()
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        if session.get(PlaybookVersion, playbook.version) is None:
            session.add(
                PlaybookVersion(
                    version=playbook.version,
                    source=playbook.source,
                    path=playbook.path,
                    first_loaded_at=clock.now(),
                )
            )
    return Runtime(settings, clock, playbook, engine, sessions)
