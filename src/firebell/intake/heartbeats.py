"""Heartbeat monitors in storage: a ping re-arms the deadline; a missed deadline opens
one alert; the next ping resolves it (decisions from `heartbeat.heartbeat_state`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.intake.batch import Batch
from firebell.intake.event import AlertEvent
from firebell.intake.heartbeat import heartbeat_deadline, heartbeat_state
from firebell.intake.ingest import Ingestor, Outcome
from firebell.intake.integrations import LiveIntegration
from firebell.store.db import INTAKE_LOCK, serialize, transaction
from firebell.store.models import Heartbeat


def _timing(integration: LiveIntegration) -> tuple[timedelta, timedelta]:
    options = integration.spec.options
    assert options.interval is not None  # the schema requires it for heartbeats
    grace = options.grace.approx() if options.grace else timedelta(0)
    return options.interval.approx(), grace


def _event(integration: LiveIntegration, action: str, now: datetime) -> AlertEvent:
    options = integration.spec.options
    interval, grace = _timing(integration)
    return AlertEvent(
        action=action,  # type: ignore[arg-type]
        dedup_key=f"heartbeat:{integration.id}",
        summary=options.summary or f"Heartbeat '{integration.spec.name}' missed",
        source="heartbeat",
        format="heartbeat",
        severity_hint=None,
        labels={"heartbeat": integration.id},
        details={"interval": str(interval), "grace": str(grace)},
        occurred_at=now,
    )


def ping(
    session: Session,
    ingestor: Ingestor,
    integration: LiveIntegration,
    now: datetime,
    batch: Batch | None = None,
) -> Outcome:
    interval, grace = _timing(integration)
    row = session.get(Heartbeat, integration.id, with_for_update=True)
    if row is None:
        row = Heartbeat(
            integration=integration.id, last_ping_at=None, due_at=None, alert_open=False
        )
        session.add(row)
    row.last_ping_at = now
    row.due_at = heartbeat_deadline(now, interval, grace)
    outcome = Outcome()
    if heartbeat_state(now, interval, grace, now, row.alert_open) == "resolve":
        row.alert_open = False
        outcome = ingestor.ingest(
            session, integration, [_event(integration, "resolve", now)], now, batch=batch
        )
    return outcome


def check_due(
    sessions: sessionmaker[Session],
    clock: Clock,
    ingestor: Ingestor,
    integrations: Callable[[], dict[str, LiveIntegration]],
    batch: int = 100,
) -> int:
    """The engine step: open one alert for each heartbeat past its deadline."""
    opened = 0
    with transaction(sessions) as session:
        serialize(session, INTAKE_LOCK)
        now = clock.now()
        rows = session.scalars(
            select(Heartbeat)
            .where(Heartbeat.due_at <= now, Heartbeat.alert_open.is_(False))
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        known = integrations()
        for row in rows:
            integration = known.get(row.integration)
            if integration is None:  # removed from the playbook
                row.due_at = None
                continue
            interval, grace = _timing(integration)
            if heartbeat_state(row.last_ping_at, interval, grace, now, False) == "open":
                row.alert_open = True
                ingestor.ingest(session, integration, [_event(integration, "trigger", now)], now)
                opened += 1
    return opened
