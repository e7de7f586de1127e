"""Past incidents with their alerts, as plain records for replays and reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.playbook.replay import AlertRecord, IncidentRecord
from firebell.store.models import Alert, Incident


def incident_records(session: Session, since: datetime, until: datetime) -> list[IncidentRecord]:
    """Incidents declared in [since, until), oldest first, each with its alerts in the order
    they were first seen."""
    incidents = session.scalars(
        select(Incident)
        .where(Incident.declared_at >= since, Incident.declared_at < until)
        .order_by(Incident.id)
    ).all()
    alerts: dict[int, list[AlertRecord]] = {}
    if incidents:
        rows = session.scalars(
            select(Alert)
            .where(Alert.incident_id.in_([i.id for i in incidents]))
            .order_by(Alert.first_seen_at, Alert.id)
        ).all()
        for row in rows:
            assert row.incident_id is not None
            alerts.setdefault(row.incident_id, []).append(
                AlertRecord(row.integration, row.summary, row.source, row.labels, row.details)
            )
    return [
        IncidentRecord(
            id=i.id,
            title=i.title,
            severity=i.severity,
            service=i.service,
            private=i.private,
            drill=i.drill,
            declared_at=i.declared_at,
            acknowledged_at=i.acknowledged_at,
            resolved_at=i.resolved_at,
            alerts=tuple(alerts.get(i.id, [])),
        )
        for i in incidents
    ]
