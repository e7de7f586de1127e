"""Read what the public may see from the database, as the pure types of `rules`.

The filter is here, in one place, for every public surface (HTML, JSON, feeds, e-mail to
subscribers): an incident is public when it is not private (security), not a drill, and
a status-page update was sent for it (the comms path that runs the leak checks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from firebell.comms.service import CADENCE
from firebell.playbook.schema import Playbook
from firebell.statuspage.models import ComponentOverride, Maintenance
from firebell.statuspage.rules import PublicIncident, Update, Window
from firebell.statuspage.schema import ComponentStatus
from firebell.store.models import Incident, PublicUpdate, TimelineEvent, Timer

STATUS_PAGE_CADENCE = 2  # comms' cadence timers keep their kind in `generation`


@dataclass(frozen=True)
class PublicState:
    now: datetime
    incidents: tuple[PublicIncident, ...]  # newest first
    windows: tuple[Window, ...]  # by start


def public_word(status: str) -> str:
    return "resolved" if status in ("resolved", "closed") else status


def is_public(incident: Incident) -> bool:
    return not incident.private and not incident.drill


def load(session: Session, playbook: Playbook, now: datetime) -> PublicState:
    page = playbook.status_page
    since = now - timedelta(days=max(page.uptime_days, page.history_days) + 1)
    rows = session.scalars(
        select(Incident)
        .where(
            Incident.private.is_(False),
            Incident.drill.is_(False),
            or_(Incident.resolved_at.is_(None), Incident.resolved_at >= since),
            Incident.id.in_(select(PublicUpdate.incident_id)),
        )
        .order_by(Incident.declared_at.desc(), Incident.id.desc())
    ).all()
    ids = [row.id for row in rows]
    updates: dict[int, list[Update]] = defaultdict(list)
    overrides: dict[int, list[tuple[str, ComponentStatus]]] = defaultdict(list)
    next_by: dict[int, datetime] = {}
    if ids:
        for u in session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.incident_id.in_(ids))
            .order_by(PublicUpdate.created_at.desc(), PublicUpdate.id.desc())
        ):
            updates[u.incident_id].append(Update(u.id, u.status, u.body, u.created_at))
        for o in session.scalars(
            select(ComponentOverride)
            .where(ComponentOverride.incident_id.in_(ids))
            .order_by(ComponentOverride.id)
        ):
            overrides[o.incident_id].append((o.component, cast(ComponentStatus, o.status)))
        for t in session.scalars(
            select(Timer).where(
                Timer.incident_id.in_(ids),
                Timer.kind == CADENCE,
                Timer.status == "pending",
                Timer.generation == STATUS_PAGE_CADENCE,
            )
        ):
            if t.incident_id is not None:
                next_by[t.incident_id] = min(t.due_at, next_by.get(t.incident_id, t.due_at))
    incidents = tuple(
        PublicIncident(
            id=row.id,
            name=row.title,
            service=row.service,
            impact=playbook.severity(row.severity).status_page.impact,
            status=public_word(row.status),
            started_at=row.impact_started_at or row.declared_at,
            created_at=row.declared_at,
            updated_at=max([row.updated_at, *(u.created_at for u in updates[row.id])]),
            monitoring_at=row.mitigated_at,
            resolved_at=row.resolved_at,
            updates=tuple(updates[row.id]),
            overrides=tuple(overrides[row.id]),
            next_update_by=next_by.get(row.id)
            if row.status not in ("resolved", "closed")
            else None,
        )
        for row in rows
    )
    return PublicState(now, incidents, load_windows(session, since))


def load_windows(session: Session, since: datetime) -> tuple[Window, ...]:
    rows = session.scalars(
        select(Maintenance)
        .where(Maintenance.status != "cancelled", Maintenance.ends_at >= since)
        .order_by(Maintenance.starts_at, Maintenance.id)
    ).all()
    return tuple(window_of(row) for row in rows)


def window_of(row: Maintenance) -> Window:
    return Window(
        id=row.id,
        name=row.title,
        status=row.status,
        components=tuple(row.components),
        scheduled_for=row.starts_at,
        scheduled_until=row.ends_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updates=tuple(
            Update(i, u["status"], u["body"], datetime.fromisoformat(u["at"]))
            for i, u in reversed(list(enumerate(row.updates, start=1)))
        ),
        description=row.description,
    )


def signature(session: Session) -> tuple[object, ...]:
    """Changes whenever anything the page shows may have changed: every incident
    mutation writes a timeline event; maintenance rows carry `updated_at`."""
    events = session.execute(select(func.max(TimelineEvent.id))).scalar()
    windows = session.execute(
        select(func.max(Maintenance.updated_at), func.count(Maintenance.id))
    ).one()
    return (events, windows[0], windows[1])
