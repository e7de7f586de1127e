"""Alerts into storage: dedup, attach to or open incidents, resolve — in the caller's
transaction.

Called by the intake jobs (`intake.jobs`) and the heartbeat check. What an event does is
decided by pure functions — `decide` (service and severity), `grouping.place` (attach,
reopen or open) and `decide.when_all_resolved` — and applied here. Everything an event
causes (alert rows, incident, links, timeline, pages) is written in the caller's
transaction, so the 2xx goes out only once it is all committed.

Resolves are set-based: one UPDATE per sender group (in chunks), one timeline event per
incident, so a payload resolving thousands of alerts costs a handful of statements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from firebell.incidents import lifecycle
from firebell.incidents.lifecycle import OPEN_STATUSES, SEVERITY_ORDER, Change
from firebell.incidents.service import (
    TIMELINE_BUFFER,
    Declaration,
    IncidentService,
    buffered_timeline,
    record,
)
from firebell.intake import grouping
from firebell.intake.batch import Batch, Identity
from firebell.intake.decide import Decision, decide, when_all_resolved
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.integrations import LiveIntegration
from firebell.intake.routing import Matcher
from firebell.paging.service import Pager
from firebell.playbook.schema import Person
from firebell.store.models import Alert, AlertGroup, Base, Incident, IncidentLink, Silence
from firebell.store.outbox import tell

CHUNK = 500  # keys per IN (...) list


@dataclass
class Outcome:
    """What one request did, for the response and the tests."""

    created: int = 0
    updated: int = 0
    resolved: int = 0
    acknowledged: int = 0
    dropped: int = 0
    silenced: int = 0
    incidents: set[int] = field(default_factory=set)

    def touch(self, incident_id: int | None) -> None:
        if incident_id is not None:
            self.incidents.add(incident_id)

    def add(self, other: Outcome) -> None:
        """Fold in the outcome of another part of the same request."""
        self.created += other.created
        self.updated += other.updated
        self.resolved += other.resolved
        self.acknowledged += other.acknowledged
        self.dropped += other.dropped
        self.silenced += other.silenced
        self.incidents |= other.incidents


def active_silence(
    session: Session, event: AlertEvent, service: str, now: datetime, batch: Batch
) -> str | None:
    """The silence or maintenance window that covers this alert, if any. The active
    silences are read once per batch, not once per alert."""
    if batch.silences is None:
        batch.silences = list(
            session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now))
        )
    for silence in batch.silences:
        if silence.service is not None and silence.service != service:
            continue
        matchers = [
            Matcher(m["field"], m["op"], m["value"]) for m in silence.matchers.get("all", [])
        ]
        if all(m.matches(event) for m in matchers):
            return f"{silence.kind} #{silence.id}"
    return None


@contextmanager
def buffered_writes(session: Session, batch: Batch) -> Iterator[None]:
    """For a batch of intake work: new alerts and timeline events are collected and
    written with one executemany each when the block ends (alerts made earlier in the
    batch are found through `batch`, never by a query)."""
    with buffered_timeline(session):
        yield
        if batch.new_alerts:
            columns = [c.key for c in Alert.__table__.columns if c.key != "id"]
            # Core INSERT (executemany), past the ORM's bulk bookkeeping
            session.execute(
                insert(Base.metadata.tables["alerts"]),
                [{c: getattr(a, c) for c in columns} for a in batch.new_alerts],
            )
            batch.new_alerts.clear()


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


def identity(integration: str, event: AlertEvent) -> Identity:
    event = stored(event)
    return (integration, event.dedup_key, event.fingerprint or "")


def _view(incident: Incident | None) -> grouping.GroupIncident | None:
    if incident is None:
        return None
    return grouping.GroupIncident(
        incident.id,
        incident.status,
        incident.declared_at,
        incident.resolved_at,
        incident.private,
        incident.drill,
    )


def _slot(integration: str, group_key: str) -> tuple[str, str]:
    """A group's identity: sender keys are shared by integrations ("" for any)."""
    return ("" if group_key.startswith("sender:") else integration, group_key)


def _note(
    session: Session, incident_id: int, at: datetime, actor: str, kind: str, details: Any
) -> None:
    """`record`, without building an ORM object per event when the transaction buffers
    its timeline (an alert storm writes thousands)."""
    buffer = session.info.get(TIMELINE_BUFFER)
    if buffer is None:
        record(session, incident_id, at, actor, kind, details)
        return
    buffer.append(
        {"incident_id": incident_id, "at": at, "actor": actor, "kind": kind, "details": details}
    )


def _with_cause(change: Change, cause: str) -> Change:
    return Change(change.kind, change.fields, {**change.details, "cause": cause})


@dataclass
class _Request:
    """One ingest call: its integration, time, actor and group."""

    integration: LiveIntegration
    now: datetime
    group: GroupEvent | None
    outcome: Outcome
    batch: Batch
    # incident id -> the (dedup key, fingerprint) of its alerts resolved by this call
    resolved: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"integration:{self.integration.id}"

    def labels(self, event: AlertEvent) -> dict[str, str]:
        common = self.group.common_labels if self.group is not None else {}
        return {**common, **event.labels}


class Ingestor:
    def __init__(
        self,
        incidents: IncidentService,
        pager: Pager,
        methods: Callable[[], set[str]] = set,
    ) -> None:
        self.incidents = incidents
        self.pager = pager
        self.methods = methods  # the configured channels, for notes to people

    def ingest(
        self,
        session: Session,
        integration: LiveIntegration,
        events: list[AlertEvent],
        now: datetime,
        group: GroupEvent | None = None,
        batch: Batch | None = None,
    ) -> Outcome:
        """Apply a request's events. `batch` is shared by the jobs of one transaction
        (see intake.writer); without one, this call's rows are written before it returns."""
        if batch is None:
            batch = Batch()
            with buffered_writes(session, batch):
                return self.ingest(session, integration, events, now, group, batch)
        request = _Request(integration, now, group, Outcome(), batch)
        events = [stored(e) for e in events]
        self.prefetch(  # one query for the open alerts this call updates (if not known)
            session, [identity(integration.id, e) for e in events if e.action != "resolve"], batch
        )
        unique = len({identity(integration.id, e) for e in events}) == len(events)
        pending: list[AlertEvent] = []  # resolves done set-based at the end
        for event in events:
            key = identity(integration.id, event)
            if event.action == "resolve" and unique and key not in batch.alerts:
                pending.append(event)
            elif event.action == "resolve":
                self._resolve_known(session, request, event)
            elif event.action == "acknowledge":
                self._acknowledge(session, request, event)
            else:
                self._trigger(session, request, event)
        if pending:
            self._resolve_many(session, request, pending)
        for incident_id, keys in request.resolved.items():
            self._settle(session, request, incident_id, keys)
        return request.outcome

    # --- lookups -----------------------------------------------------------------------

    @staticmethod
    def prefetch(session: Session, identities: list[Identity], batch: Batch) -> None:
        """Load the open alerts of a whole batch in one query (locked), and remember which
        identities have none, so each event does not need a query of its own."""
        wanted = set(identities) - set(batch.alerts) - batch.absent
        if not wanted:
            return
        by_integration: dict[str, set[str]] = {}
        for integration, key, _ in wanted:
            by_integration.setdefault(integration, set()).add(key)
        found: set[Identity] = set()
        for integration, key_set in by_integration.items():
            keys = sorted(key_set)
            for start in range(0, len(keys), CHUNK):
                # integration first: the identity index can serve the lookup
                rows = session.scalars(
                    select(Alert)
                    .where(
                        Alert.integration == integration,
                        Alert.dedup_key.in_(keys[start : start + CHUNK]),
                        Alert.status != "resolved",
                    )
                    .with_for_update()
                )
                for row in rows:
                    row_key = (row.integration, row.dedup_key, row.fingerprint)
                    if row_key in wanted:
                        batch.remember(row_key, row)
                        found.add(row_key)
        batch.absent |= wanted - found

    @staticmethod
    def _open_alert(session: Session, key: Identity, batch: Batch) -> Alert | None:
        """The open alert with this identity: from the batch when it knows, else a query
        (run without flushing the batch's pending rows first)."""
        if key in batch.alerts:
            known = batch.alerts[key]
            return known if known.status != "resolved" else None
        if key in batch.absent:
            return None
        integration, dedup_key, fingerprint = key
        with session.no_autoflush:
            found = session.scalars(
                select(Alert)
                .where(
                    Alert.integration == integration,
                    Alert.dedup_key == dedup_key,
                    Alert.fingerprint == fingerprint,
                    Alert.status != "resolved",
                )
                .order_by(Alert.id.desc())
                .limit(1)
                .with_for_update()
            ).first()
        if found is not None:
            batch.remember(key, found)
        return found

    @staticmethod
    def _group_incident(
        session: Session, integration: str, key: str, batch: Batch
    ) -> Incident | None:
        """The latest incident the group opened (locked), remembered for the batch.

        A sender's group key names one problem whichever integration delivered it:
        Alertmanager's PagerDuty receiver sends the same key (sha256 of the groupKey)
        as its webhook, so an Alertmanager wired to both makes one incident, not two.
        Label and service groups are the integration's own."""
        slot = _slot(integration, key)
        if slot not in batch.groups:
            query = select(Incident).join(AlertGroup, AlertGroup.incident_id == Incident.id)
            if slot[0]:
                query = query.where(AlertGroup.integration == integration)
            batch.groups[slot] = session.scalars(
                query.where(AlertGroup.group_key == key)
                .order_by(AlertGroup.id.desc())
                .limit(1)
                .with_for_update(of=Incident)
            ).first()
        return batch.groups[slot]

    @staticmethod
    def _service_open(session: Session, service: str, batch: Batch) -> Incident | None:
        """The service's newest open incident an alert may link to (locked): never a
        drill, never a private one (an ordinary alert must not reveal it)."""
        cached = batch.service_open.get(service)
        if cached is not None and cached.status in OPEN_STATUSES:
            return cached
        batch.service_open[service] = session.scalars(
            select(Incident)
            .where(
                Incident.service == service,
                Incident.status.in_(OPEN_STATUSES),
                Incident.drill.is_(False),
                Incident.private.is_(False),
            )
            .order_by(Incident.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        return batch.service_open[service]

    @staticmethod
    def _incident(session: Session, incident_id: int | None) -> Incident | None:
        if incident_id is None:
            return None
        return session.get(Incident, incident_id, with_for_update=True)

    # --- triggers ------------------------------------------------------------------------

    def _trigger(self, session: Session, request: _Request, event: AlertEvent) -> None:
        key = identity(request.integration.id, event)
        alert = self._open_alert(session, key, request.batch)
        if alert is None:
            self._open(session, request, event, key)
            return
        alert.last_seen_at, alert.events = request.now, alert.events + 1
        alert.summary = event.summary[:1024]
        request.outcome.updated += 1
        request.outcome.touch(alert.incident_id)

    def _open(self, session: Session, request: _Request, event: AlertEvent, key: Identity) -> None:
        integration, now, batch = request.integration, request.now, request.batch
        labels = request.labels(event)
        decision = decide(
            event,
            integration.spec.options,
            integration.rules,
            integration.spec.service,
            labels,
            integration.services,
        )
        details: dict[str, Any] = {
            "event": event.details,
            "links": [{"href": link.href, "text": link.text} for link in event.links],
        }
        if request.group is not None:
            details["group_key"] = request.group.group_key
            details["truncated_alerts"] = request.group.truncated_alerts
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
            silenced_by=active_silence(session, event, decision.service, now, batch),
            events=1,
            first_seen_at=now,
            last_seen_at=now,
            resolved_at=None,
            acknowledged_at=None,
        )
        batch.new_alerts.append(alert)  # inserted with the batch's others in one statement
        batch.remember(key, alert)
        request.outcome.created += 1
        if alert.silenced_by is not None:
            request.outcome.silenced += 1  # recorded, pages nobody
            return
        incident = self._place(session, request, event, decision, labels)
        alert.incident_id = incident.id  # rows are written in bulk when the batch commits
        request.outcome.touch(incident.id)

    def _place(
        self,
        session: Session,
        request: _Request,
        event: AlertEvent,
        decision: Decision,
        labels: dict[str, str],
    ) -> Incident:
        """Attach the alert to its group's incident, reopen it, or open a new one."""
        integration, now, batch = request.integration, request.now, request.batch
        options = integration.spec.options
        group_key = fit(grouping.group_key(options.grouping, event, labels, decision.service), 255)
        group = self._group_incident(session, integration.id, group_key, batch)
        group_view = _view(group)
        usable = group_view is not None and not (group_view.private or group_view.drill)
        service_open = None if usable else self._service_open(session, decision.service, batch)
        placement = grouping.place(
            options.grouping,
            options.flapping_window.approx(),
            group_view,
            _view(service_open),
            now,
        )
        info: dict[str, Any] = {
            "integration": integration.id,
            "summary": event.summary[:1024],
            "dedup_key": event.dedup_key,
            "fingerprint": event.fingerprint,
            "severity": decision.severity,
            "why": decision.reason,
            "service": decision.service,
            "routing": decision.routing.why if decision.routing else None,
            "group": group_key,
        }
        if request.group is not None and request.group.truncated_alerts:
            info["truncated_alerts"] = request.group.truncated_alerts
        if isinstance(placement, grouping.Open):
            incident = self._declare(session, request, event, decision, info, group_key)
            if placement.link_to is not None and placement.link_reason is not None:
                self._link(session, request, incident, placement.link_to, placement.link_reason)
            return incident
        assert group is not None  # Attach and Reopen name the group's incident
        _note(session, group.id, now, request.actor, "alert_attached", info)
        self._note_unknown_service(session, request, group, decision)
        if isinstance(placement, grouping.Reopen) or placement.refire:
            self._refire(session, request, group)
        elif SEVERITY_ORDER.index(decision.severity) < SEVERITY_ORDER.index(group.severity):
            # A worse signal than the incident's severity: say so; people decide (as
            # PagerDuty does, an alert never silently changes an incident's urgency).
            record(
                session,
                group.id,
                now,
                request.actor,
                "escalation_proposed",
                {
                    "rule": "alert-more-severe",
                    "to": decision.severity,
                    "reason": f"alert '{info['summary']}' is {decision.severity}",
                },
            )
        return group

    def _declare(
        self,
        session: Session,
        request: _Request,
        event: AlertEvent,
        decision: Decision,
        info: dict[str, Any],
        group_key: str,
    ) -> Incident:
        now = request.now
        description = event.details.get("description")
        incident = self.incidents.declare_in(
            session,
            Declaration(
                title=event.summary[:500] or f"Alert from {request.integration.spec.name}",
                severity=decision.severity,
                service=decision.service,
                summary=description if isinstance(description, str) else None,
                impact_started_at=event.occurred_at
                if event.occurred_at and event.occurred_at <= now
                else None,
                detected_at=now,
            ),
            request.actor,
            now,
        )
        record(session, incident.id, now, request.actor, "classified", info)
        self._note_unknown_service(session, request, incident, decision)
        session.add(
            AlertGroup(
                integration=request.integration.id,
                group_key=group_key,
                incident_id=incident.id,
                opened_at=now,
            )
        )
        request.batch.groups[_slot(request.integration.id, group_key)] = incident
        request.batch.service_open[decision.service] = incident
        return incident

    @staticmethod
    def _note_unknown_service(
        session: Session, request: _Request, incident: Incident, decision: Decision
    ) -> None:
        if decision.routing is None or decision.routing.unknown is None:
            return
        label, value = decision.routing.unknown
        record(
            session,
            incident.id,
            request.now,
            request.actor,
            "service_unknown",
            {"label": label, "value": value, "service": decision.service},
        )

    @staticmethod
    def _link(
        session: Session, request: _Request, incident: Incident, other: int, reason: str
    ) -> None:
        """Link a new incident to an older one; both timelines say so."""
        now, actor = request.now, request.actor
        session.add(
            IncidentLink(incident_id=incident.id, linked_id=other, reason=reason, created_at=now)
        )
        record(session, incident.id, now, actor, "incident_linked", {"to": other, "reason": reason})
        record(session, other, now, actor, "incident_linked", {"to": incident.id, "reason": reason})

    def _refire(self, session: Session, request: _Request, incident: Incident) -> None:
        """Back to investigating (or reopened), acknowledgement cleared, paging restarted
        from the first level."""
        self.incidents.apply_in(session, incident, grouping.refire, request.actor, request.now)
        if self.pager.playbook.severity(incident.severity).paging in ("page", "notify"):
            self.pager.start(session, incident, request.now)

    # --- acknowledgements ----------------------------------------------------------------

    def _acknowledge(self, session: Session, request: _Request, event: AlertEvent) -> None:
        alert = self._open_alert(session, identity(request.integration.id, event), request.batch)
        if alert is None:
            request.outcome.dropped += 1  # ack of an unknown key: dropped, as PagerDuty does
            return
        alert.last_seen_at, alert.events = request.now, alert.events + 1
        request.outcome.touch(alert.incident_id)
        if alert.status != "triggered":
            return
        alert.status, alert.acknowledged_at = "acknowledged", request.now
        request.outcome.acknowledged += 1
        incident = self._incident(session, alert.incident_id)
        if (
            incident is not None
            and incident.acknowledged_at is None
            and incident.status in OPEN_STATUSES
        ):
            actor = request.actor
            self.incidents.apply_in(
                session,
                incident,
                lambda s, t: lifecycle.acknowledge(s, actor, t),
                actor,
                request.now,
            )

    # --- resolves --------------------------------------------------------------------------

    def _resolve_known(self, session: Session, request: _Request, event: AlertEvent) -> None:
        """Resolve an alert the batch holds as an object (made or loaded earlier)."""
        alert = self._open_alert(session, identity(request.integration.id, event), request.batch)
        if alert is None:
            request.outcome.dropped += 1  # resolve of an unknown key: dropped
            return
        alert.last_seen_at, alert.events = request.now, alert.events + 1
        alert.status, alert.resolved_at = "resolved", request.now
        request.outcome.resolved += 1
        request.outcome.touch(alert.incident_id)
        if alert.incident_id is not None:
            request.resolved.setdefault(alert.incident_id, []).append(
                (alert.dedup_key, alert.fingerprint)
            )

    def _resolve_many(self, session: Session, request: _Request, events: list[AlertEvent]) -> None:
        """Resolve alerts with set-based UPDATEs: one per sender key and chunk of
        fingerprints, returning which incidents they belonged to."""
        by_key: dict[str, list[str]] = {}
        for event in events:
            by_key.setdefault(event.dedup_key, []).append(event.fingerprint or "")
        now, integration = request.now, request.integration.id
        matched = 0
        for dedup_key, fingerprints in by_key.items():
            for start in range(0, len(fingerprints), CHUNK):
                rows = session.execute(
                    update(Alert)
                    .where(
                        Alert.integration == integration,
                        Alert.dedup_key == dedup_key,
                        Alert.fingerprint.in_(fingerprints[start : start + CHUNK]),
                        Alert.status != "resolved",
                    )
                    .values(
                        status="resolved",
                        resolved_at=now,
                        last_seen_at=now,
                        events=Alert.events + 1,
                    )
                    .returning(Alert.incident_id, Alert.dedup_key, Alert.fingerprint)
                    .execution_options(synchronize_session=False)
                ).all()
                matched += len(rows)
                for incident_id, key, fingerprint in rows:
                    request.outcome.touch(incident_id)
                    if incident_id is not None:
                        request.resolved.setdefault(incident_id, []).append((key, fingerprint))
        request.outcome.resolved += matched
        request.outcome.dropped += len(events) - matched  # unknown keys: dropped

    def _open_alerts_left(self, session: Session, incident_id: int, batch: Batch) -> bool:
        if any(a.incident_id == incident_id and a.status != "resolved" for a in batch.new_alerts):
            return True
        return (
            session.scalars(
                select(Alert.id)
                .where(Alert.incident_id == incident_id, Alert.status != "resolved")
                .limit(1)
            ).first()
            is not None
        )

    def _settle(
        self, session: Session, request: _Request, incident_id: int, keys: list[tuple[str, str]]
    ) -> None:
        """One timeline event for the incident's alerts resolved by this request; if none
        is left open, the playbook's `when_all_resolved` choice (paging stops either way)."""
        incident = self._incident(session, incident_id)
        if incident is None or incident.status not in OPEN_STATUSES:
            return
        left = self._open_alerts_left(session, incident_id, request.batch)
        now, actor = request.now, request.actor
        record(
            session,
            incident_id,
            now,
            actor,
            "alert_resolved",
            {
                "dedup_key": keys[0][0],
                "fingerprint": keys[0][1] or None,
                "count": len(keys),
                "fingerprints": [fp for _, fp in keys[:20] if fp],
                "open_alerts_left": left,
            },
        )
        if left:
            return
        options = request.integration.spec.options
        choice = when_all_resolved(options, incident.acknowledged_at is not None)
        cause = "every alert resolved"
        if choice == "resolve":
            self.incidents.apply_in(
                session,
                incident,
                lambda s, t: _with_cause(lifecycle.resolve(s, t), cause),
                actor,
                now,
            )
            return  # resolving stops paging (the pager's hook)
        if choice == "monitoring" and incident.status != "monitoring":
            self.incidents.apply_in(
                session,
                incident,
                lambda s, t: _with_cause(lifecycle.set_status(s, "monitoring", t), cause),
                actor,
                now,
            )
        self.pager.stop(session, incident, "alerts_resolved", now)
        self._tell_owner(session, incident, now)

    def _tell_owner(self, session: Session, incident: Incident, now: datetime) -> None:
        """Tell the commander (or whoever acknowledged) that every alert resolved."""
        people = self.pager.playbook.people
        person: Person | None = None
        for name in (incident.commander, incident.acknowledged_by):
            person = next((p for p in people if name in (p.id, p.name)), None)
            if person is not None:
                break
        queued = 0
        if person is not None:
            queued = tell(
                session,
                person,
                purpose="alerts_resolved",
                subject=f"[firebell] #{incident.id} every alert resolved: now {incident.status}",
                body=(
                    f"Every alert of incident #{incident.id} ({incident.title}) has resolved. "
                    f"The incident is {incident.status}; paging has stopped. Resolve it "
                    "when you are satisfied, or it reopens if an alert fires again."
                ),
                key=f"alerts-resolved:{incident.id}:{now.timestamp():.0f}",
                now=now,
                incident=incident,
                available=self.methods(),
            )
        record(
            session,
            incident.id,
            now,
            "firebell",
            "owner_told",
            {
                "about": "every alert resolved",
                "to": person.id if person is not None else None,
                "queued": queued,
            },
        )
