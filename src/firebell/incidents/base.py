"""What every service that acts on incidents is built with: the sessions, the clock, the
playbook and the incident service (whose visibility checks it goes through)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.incidents.service import IncidentService
from firebell.playbook.schema import Playbook


class OnIncidents:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        incidents: IncidentService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.incidents = incidents
