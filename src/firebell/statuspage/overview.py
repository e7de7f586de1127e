"""The status page as the team sees it in the console: each component's public status now,
and the overrides that open incidents put on it (those the reader may see).

Public status comes from the same state and rules as the public page (so it never shows
more than the public sees); the overrides are filtered with the incidents' visibility rule,
so a private incident's override is listed only to those who may see that incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select

from firebell.auth.principal import Principal
from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.statuspage import rules, state
from firebell.statuspage.models import ComponentOverride
from firebell.statuspage.service import StatusPageService
from firebell.store.models import Incident


@dataclass(frozen=True)
class Override:
    incident: int
    title: str
    status: str
    set_by: str
    set_at: datetime
    public: bool  # False: private or drill, or no public update yet (the page ignores it)


@dataclass(frozen=True)
class ComponentRow:
    id: str
    name: str
    group: str | None
    status: str  # what the public page shows now
    overrides: tuple[Override, ...]  # latest per open incident, newest first


@dataclass(frozen=True)
class Overview:
    indicator: str
    description: str
    components: tuple[ComponentRow, ...]
    open_incidents: tuple[tuple[int, str], ...]  # (number, title) the reader may see


def overview(
    service: StatusPageService, actor: Principal, visible: ColumnElement[bool]
) -> Overview:
    """`visible` is the SQL clause for incidents `actor` may see (IncidentService's)."""
    playbook = service.playbook()
    page = playbook.status_page
    now = service.clock.now()
    with service.sessions() as session:
        public = state.load(session, playbook, now)
        public_ids = {i.id for i in public.incidents}
        rows = session.execute(
            select(ComponentOverride, Incident)
            .join(Incident, Incident.id == ComponentOverride.incident_id)
            .where(Incident.status.in_(sorted(OPEN_STATUSES)), visible)
            .order_by(ComponentOverride.id.desc())
        ).all()
        open_rows = session.execute(
            select(Incident.id, Incident.title)
            .where(Incident.status.in_(sorted(OPEN_STATUSES)), visible)
            .order_by(Incident.id.desc())
            .limit(200)
        ).all()
    latest: dict[tuple[str, int], Override] = {}
    for override, incident in rows:
        key = (override.component, incident.id)
        if key not in latest:  # newest first: the first seen is the one in force
            latest[key] = Override(
                incident.id,
                incident.title,
                override.status,
                override.set_by,
                override.set_at,
                incident.id in public_ids and state.is_public(incident),
            )
    statuses = rules.component_statuses(page, public.incidents, public.windows)
    level, description = rules.indicator(statuses, public.incidents)
    components = tuple(
        ComponentRow(
            c.id,
            c.name,
            c.group,
            statuses.get(c.id, "operational"),
            tuple(o for (cid, _), o in latest.items() if cid == c.id),
        )
        for c in page.components
    )
    return Overview(level, description, components, tuple((n, t) for n, t in open_rows))
