"""Alerts into storage: dedup, attach to or open incidents, resolve — one transaction.

Called by the HTTP intake routes and the heartbeat check. Everything an event causes
(alert rows, incident, timeline, pages) is written in the caller's transaction, so the
2xx goes out only once it is all committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from firebell.incidents import lifecycle
from firebell.incidents.lifecycle import OPEN_STATUSES, SEVERITY_ORDER
from firebell.incidents.service import Declaration, IncidentService, buffered_timeline, record
from firebell.intake.decide import decide
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.integrations import LiveIntegration
from firebell.intake.routing import Matcher
from firebell.store.models import Alert, Incident, Silence


@dataclass
class Outcome:
    """What one request did, for the response and the tests."""

    created: int = 0
    updated: int = 0
    resolved: int = 0
    acknowledged: int = 0
    dropped: int = 0
    silenced: int = 0
    incidents: set[int] | None = None

    def touch(self, incident_id: int | None) -> None:
        if incident_id is not None:
            if self.incidents is None:
                self.incidents = set()
            self.incidents.add(incident_id)


def active_silence(
    session: Session,
    event: AlertEvent,
    service: str,
    now: datetime,
    cache: dict[str, Any] | None = None,
) -> str | None:
    """The silence or maintenance window that covers this alert, if any. The active
    silences are read once per batch (`cache`), not once per alert."""
    rows = cache.get("silences") if cache is not None else None
    if rows is None:
        rows = session.scalars(
            select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
        ).all()
        if cache is not None:
            cache["silences"] = rows
    for silence in rows:
        if silence.service is not None and silence.service != service:
            continue
        matchers = [
            Matcher(m["field"], m["op"], m["value"]) for m in silence.matchers.get("all", [])
        ]
        if all(m.matches(event) for m in matchers):
            return f"{silence.kind} #{silence.id}"
    return None


DEFERRED_ALERTS = "firebell_deferred_alerts"


@contextmanager
def buffered_writes(session: Session) -> Iterator[None]:
    """For a batch of intake work: new alerts and timeline events are collected and
    written with one executemany each when the block ends (alerts made earlier in the
    batch are found through the batch cache, never by a query)."""
    alerts: list[Alert] = []
    session.info[DEFERRED_ALERTS] = alerts
    try:
        with buffered_timeline(session):
            yield
            if alerts:
                columns = [c.key for c in Alert.__table__.columns if c.key != "id"]
                session.execute(
                    insert(Alert), [{c: getattr(a, c) for c in columns} for a in alerts]
                )
    finally:
        session.info.pop(DEFERRED_ALERTS, None)


def fit(value: str, limit: int) -> str:
    """Keys longer than their column are stored as their SHA-256 (still unique, still
    stable), so an odd sender cannot fail a whole batch at commit time."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def stored(event: AlertEvent) -> AlertEvent:
    """The event with its identity as it is stored (see `fit`)."""
    key, fingerprint = fit(event.dedup_key, 255), fit(event.fingerprint or "", 128)
    if key == event.dedup_key and fingerprint == (event.fingerprint or ""):
        return event
    return replace(event, dedup_key=key, fingerprint=fingerprint or None)


def identity(integration: str, event: AlertEvent) -> tuple[str, str, str]:
    event = stored(event)
    return (integration, event.dedup_key, event.fingerprint or "")


class Ingestor:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    def ingest(
        self,
        session: Session,
        integration: LiveIntegration,
        events: list[AlertEvent],
        now: datetime,
        group: GroupEvent | None = None,
        cache: dict[str, Any] | None = None,
    ) -> Outcome:
        """`cache` is shared by the jobs of one transaction (see intake.writer)."""
        outcome = Outcome()
        labels = dict(group.common_labels) if group is not None else None
        cache = cache if cache is not None else {}
        for event in map(stored, events):
            self._one(session, integration, event, now, outcome, labels, group, cache)
        return outcome

    def _open_alert(
        self, session: Session, integration: str, event: AlertEvent, cache: dict[str, Any]
    ) -> Alert | None:
        """The open alert with this identity. Alerts seen or made earlier in the batch are
        remembered, so the query runs without flushing the batch's pending rows first."""
        identity = (integration, event.dedup_key, event.fingerprint or "")
        seen: dict[tuple[str, str, str], Alert] = cache.setdefault("alerts", {})
        if identity in seen:
            known = seen[identity]
            return known if known.status != "resolved" else None
        if identity in cache.get("absent", ()):
            return None  # the batch's prefetch found no open alert with this identity
        with session.no_autoflush:
            found = session.scalars(
                select(Alert)
                .where(
                    Alert.integration == integration,
                    Alert.dedup_key == event.dedup_key,
                    Alert.fingerprint == (event.fingerprint or ""),
                    Alert.status != "resolved",
                )
                .order_by(Alert.id.desc())
                .limit(1)
                .with_for_update()
            ).first()
        if found is not None:
            seen[identity] = found
        return found

    def _one(
        self,
        session: Session,
        integration: LiveIntegration,
        event: AlertEvent,
        now: datetime,
        outcome: Outcome,
        group_labels: dict[str, str] | None,
        group: GroupEvent | None,
        cache: dict[str, Any],
    ) -> None:
        actor = f"integration:{integration.id}"
        alert = self._open_alert(session, integration.id, event, cache)
        if event.action == "trigger":
            if alert is not None:
                alert.last_seen_at, alert.events = now, alert.events + 1
                alert.summary = event.summary[:1024]
                outcome.updated += 1
                outcome.touch(alert.incident_id)
                return
            self._open(session, integration, event, now, outcome, group_labels, group, actor, cache)
            return
        if alert is None:
            outcome.dropped += 1  # ack/resolve of an unknown key: dropped, as PagerDuty does
            return
        alert.last_seen_at, alert.events = now, alert.events + 1
        outcome.touch(alert.incident_id)
        if event.action == "acknowledge":
            if alert.status == "triggered":
                alert.status = "acknowledged"
                outcome.acknowledged += 1
                self._acknowledge_incident(session, alert, actor, now)
            return
        alert.status, alert.resolved_at = "resolved", now
        outcome.resolved += 1
        self._maybe_settle_incident(session, integration, alert, actor, now)

    def _open(
        self,
        session: Session,
        integration: LiveIntegration,
        event: AlertEvent,
        now: datetime,
        outcome: Outcome,
        group_labels: dict[str, str] | None,
        group: GroupEvent | None,
        actor: str,
        cache: dict[str, Any],
    ) -> None:
        labels = {**(group_labels or {}), **event.labels}
        decision = decide(
            event, integration.spec.options, integration.rules, integration.spec.service, labels
        )
        details: dict[str, Any] = {
            "event": event.details,
            "links": [{"href": link.href, "text": link.text} for link in event.links],
        }
        if group is not None:
            details["group_key"] = group.group_key
            details["truncated_alerts"] = group.truncated_alerts
        alert = Alert(
            integration=integration.id,
            dedup_key=event.dedup_key,
            fingerprint=event.fingerprint or "",
            status="triggered",
            service=decision.service,
            severity=decision.severity,
            summary=event.summary[:1024],
            source=event.source[:255],
            labels=event.labels,
            details=details,
            silenced_by=active_silence(session, event, decision.service, now, cache),
            events=1,
            first_seen_at=now,
            last_seen_at=now,
            resolved_at=None,
        )
        deferred = session.info.get(DEFERRED_ALERTS)
        if deferred is not None:
            deferred.append(alert)  # inserted with the batch's others in one statement
        else:
            session.add(alert)
        cache.setdefault("alerts", {})[
            (integration.id, event.dedup_key, event.fingerprint or "")
        ] = alert
        outcome.created += 1
        if alert.silenced_by is not None:
            outcome.silenced += 1  # recorded, pages nobody
            return
        incident = self._open_incident(session, decision.service, cache)
        info: dict[str, Any] = {
            "integration": integration.id,
            "summary": alert.summary,
            "dedup_key": event.dedup_key,
            "fingerprint": event.fingerprint,
            "severity": decision.severity,
            "why": decision.reason,
        }
        if group is not None and group.truncated_alerts:
            info["truncated_alerts"] = group.truncated_alerts
        if incident is None:
            incident = self.incidents.declare_in(
                session,
                Declaration(
                    title=alert.summary[:500],
                    severity=decision.severity,
                    service=decision.service,
                    summary=event.details.get("description")
                    if isinstance(event.details.get("description"), str)
                    else None,
                    impact_started_at=event.occurred_at
                    if event.occurred_at and event.occurred_at <= now
                    else None,
                    detected_at=now,
                ),
                actor,
                now,
            )
            record(session, incident.id, now, actor, "classified", info)
            cache[f"incident:{decision.service}"] = incident
        else:
            record(session, incident.id, now, actor, "alert_attached", info)
            if SEVERITY_ORDER.index(decision.severity) < SEVERITY_ORDER.index(incident.severity):
                # A worse signal than the incident's severity: say so; people decide (as
                # PagerDuty does, an alert never silently changes an incident's urgency).
                record(
                    session,
                    incident.id,
                    now,
                    actor,
                    "escalation_proposed",
                    {
                        "rule": "alert-more-severe",
                        "to": decision.severity,
                        "reason": f"alert '{alert.summary}' is {decision.severity}",
                    },
                )
        alert.incident_id = incident.id  # rows are written in bulk when the batch commits
        outcome.touch(incident.id)

    @staticmethod
    def prefetch(
        session: Session, identities: list[tuple[str, str, str]], cache: dict[str, Any]
    ) -> None:
        """Load the open alerts of a whole batch in one query (locked), and remember which
        identities have none, so each event does not need a query of its own."""
        wanted = set(identities)
        if not wanted:
            return
        seen: dict[tuple[str, str, str], Alert] = cache.setdefault("alerts", {})
        by_integration: dict[str, set[str]] = {}
        for integration, key, _ in wanted:
            by_integration.setdefault(integration, set()).add(key)
        for integration, key_set in by_integration.items():
            keys = sorted(key_set)
            for start in range(0, len(keys), 500):
                # integration first: the identity index can serve the lookup
                rows = session.scalars(
                    select(Alert)
                    .where(
                        Alert.integration == integration,
                        Alert.dedup_key.in_(keys[start : start + 500]),
                        Alert.status != "resolved",
                    )
                    .with_for_update()
                )
                for row in rows:
                    identity = (row.integration, row.dedup_key, row.fingerprint)
                    if identity in wanted:
                        seen[identity] = row
        cache["absent"] = wanted - set(seen)

    @staticmethod
    def _open_incident(session: Session, service: str, cache: dict[str, Any]) -> Incident | None:
        """The service's open incident, locked; remembered for the rest of the batch
        (its row lock is held until the batch commits)."""
        key = f"incident:{service}"
        cached = cache.get(key)
        if isinstance(cached, Incident) and cached.status in OPEN_STATUSES:
            return cached
        incident = session.scalars(
            select(Incident)
            .where(
                Incident.service == service,
                Incident.status.in_(OPEN_STATUSES),
                Incident.drill.is_(False),
                # a security incident is visible to few; an ordinary alert must not
                # disappear into it (nor reveal it to the sender)
                Incident.private.is_(False),
            )
            .order_by(Incident.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if incident is not None:
            cache[key] = incident
        return incident

    def _acknowledge_incident(
        self, session: Session, alert: Alert, actor: str, now: datetime
    ) -> None:
        incident = self._incident(session, alert)
        if (
            incident is not None
            and incident.acknowledged_at is None
            and (incident.status in OPEN_STATUSES)
        ):
            self.incidents.apply_in(
                session, incident, lambda s, t: lifecycle.acknowledge(s, actor, t), actor, now
            )

    def _maybe_settle_incident(
        self,
        session: Session,
        integration: LiveIntegration,
        alert: Alert,
        actor: str,
        now: datetime,
    ) -> None:
        incident = self._incident(session, alert)
        if incident is None or incident.status not in OPEN_STATUSES:
            return
        still_open: object = (
            next(
                (
                    a
                    for a in session.info.get(DEFERRED_ALERTS, ())
                    if a.incident_id == incident.id and a.status != "resolved"
                ),
                None,
            )
            or session.scalars(
                select(Alert.id)
                .where(Alert.incident_id == incident.id, Alert.status != "resolved")
                .limit(1)
            ).first()
        )
        record(
            session,
            incident.id,
            now,
            actor,
            "alert_resolved",
            {
                "dedup_key": alert.dedup_key,
                "fingerprint": alert.fingerprint or None,
                "open_alerts_left": still_open is not None,
            },
        )
        if still_open is not None:
            return
        if integration.spec.options.auto_resolve:
            self.incidents.apply_in(
                session, incident, lambda s, t: lifecycle.resolve(s, t), actor, now
            )
        elif incident.status != "monitoring":
            self.incidents.apply_in(
                session, incident, lambda s, t: lifecycle.set_status(s, "monitoring", t), actor, now
            )

    @staticmethod
    def _incident(session: Session, alert: Alert) -> Incident | None:
        if alert.incident_id is None:
            return None
        return session.scalars(
            select(Incident).where(Incident.id == alert.incident_id).with_for_update()
        ).first()
