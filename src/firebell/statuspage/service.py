"""The status page's services, wired once: snapshot, component overrides, maintenance,
subscribers, and the customer e-mail fan-out that comms calls."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Conflict, Invalid
from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.incidents.service import record
from firebell.incidents.visibility import require_visible
from firebell.playbook.schema import Playbook
from firebell.statuspage.maintenance import Maintenances
from firebell.statuspage.models import ComponentOverride
from firebell.statuspage.rules import RANK
from firebell.statuspage.snapshot import Snapshots
from firebell.statuspage.state import is_public
from firebell.statuspage.subscribers import Notice, Subscribers
from firebell.store.db import transaction
from firebell.store.models import Incident


class StatusPageService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Callable[[], Playbook],
        master_key: bytes,
        base_url: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.base_url = base_url.rstrip("/")
        self.snapshots = Snapshots(sessions, clock, playbook, self.page_url())
        self.subscribers = Subscribers(sessions, clock, playbook, master_key, self.page_url)
        self.maintenances = Maintenances(sessions, clock, playbook, self.subscribers, self.page_url)

    def page_url(self) -> str:
        pb = self.playbook()
        return (
            pb.status_page.public_url
            or pb.organization.status_page_url
            or f"{self.base_url}/status"
        ).rstrip("/")

    # --- component overrides ----------------------------------------------------------

    def set_component(
        self, number: int, component: str, status: str, actor: Principal
    ) -> dict[str, Any]:
        known = [c.id for c in self.playbook().status_page.components]
        if component not in known:
            raise Invalid.field(
                "component", f"unknown component '{component}'; known: {', '.join(known)}"
            )
        if status not in RANK:
            raise Invalid.field("status", f"one of {', '.join(RANK)}")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = require_visible(
                session,
                self.playbook(),
                session.get(Incident, number, with_for_update=True),
                number,
                actor,
            )  # a private incident's members may set its components (never shown publicly)
            if incident.status not in OPEN_STATUSES:
                raise Conflict(f"incident #{number} is {incident.status}")
            session.add(
                ComponentOverride(
                    incident_id=number,
                    component=component,
                    status=status,
                    set_at=now,
                    set_by=actor.name,
                )
            )
            record(
                session,
                number,
                now,
                actor.name,
                "component_status_set",
                {"component": component, "status": status},
            )
        self.snapshots.invalidate()
        return {"incident": number, "component": component, "status": status}

    def components_of(self, session: Session, incident: Incident) -> frozenset[str]:
        """The components an incident touches: by its service, then its overrides."""
        page = self.playbook().status_page
        touched = {c.id for c in page.components if incident.service in c.services}
        for override in session.scalars(
            select(ComponentOverride)
            .where(ComponentOverride.incident_id == incident.id)
            .order_by(ComponentOverride.id)
        ):
            if override.status == "operational":
                touched.discard(override.component)
            else:
                touched.add(override.component)
        return frozenset(touched)

    # --- customer e-mail (called by comms inside its transaction) --------------------------

    def customer_fanout(
        self,
        session: Session,
        incident: Incident,
        template: str,
        subject: str,
        body: str,
        now: datetime,
    ) -> int | str:
        """Queue a customer message for the subscribers of the incident's components.
        Returns the number queued, or why nothing may be sent."""
        if not is_public(incident):
            return "private and drill incidents are never sent to subscribers"
        components = self.components_of(session, incident)
        notice = Notice(
            key=f"customer:{incident.id}:{template}:{uuid.uuid4().hex}",
            subject=subject,
            body=body,
            components=components,
            event={
                "type": f"incident.{template}",
                "incident": {
                    "id": str(incident.id),
                    "name": incident.title,
                    "status": incident.status,
                    "components": sorted(components),
                },
                "text": body,
            },
            incident_id=incident.id,
        )
        queued = self.subscribers.fanout(session, notice, now)
        return queued or "no active subscriber of the affected components"
