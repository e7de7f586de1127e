"""SLA clocks for incidents read from storage: loads the last update of each incident and
hands the timestamps to the pure `sla_clocks`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.incidents.sla_clocks import IncidentTimes, SlaClock, sla_clocks
from firebell.playbook.schema import Playbook
from firebell.store.models import Incident, TimelineEvent

UPDATE_KIND = "update_sent"


def last_updates(session: Session, ids: Sequence[int]) -> dict[int, datetime]:
    """When each incident last had a stakeholder update sent (one grouped query)."""
    if not ids:
        return {}
    rows = session.execute(
        select(TimelineEvent.incident_id, func.max(TimelineEvent.at))
        .where(TimelineEvent.incident_id.in_(ids), TimelineEvent.kind == UPDATE_KIND)
        .group_by(TimelineEvent.incident_id)
    )
    return {incident_id: at for incident_id, at in rows}


def times_of(incident: Incident, last_update_at: datetime | None) -> IncidentTimes:
    return IncidentTimes(
        severity=incident.severity,
        status=incident.status,
        declared_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        last_update_at=last_update_at,
    )


def clocks_for(
    sessions: sessionmaker[Session],
    playbook: Playbook,
    incidents: Sequence[Incident],
    now: datetime,
) -> dict[int, list[SlaClock]]:
    with sessions() as session:
        updates = last_updates(session, [i.id for i in incidents])
    return {i.id: sla_clocks(playbook, times_of(i, updates.get(i.id)), now) for i in incidents}
