"""Incidents in storage: every mutation and its timeline event in one transaction.

Other capabilities (paging, communications) join the same transaction through hooks,
so a page is never decided without its incident change, nor the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Conflict, Invalid
from firebell.incidents import lifecycle, visibility
from firebell.incidents.lifecycle import Change, IncidentState
from firebell.incidents.timeline_pages import DEFAULT_LIMIT, TimelinePage, read_page
from firebell.playbook.loader import LoadedPlaybook
from firebell.store.db import reading, transaction
from firebell.store.models import Base, Incident, TimelineEvent

Hook = Callable[[Session, Incident, Change, datetime], None]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Declaration:
    title: str
    severity: str
    service: str | None = None
    summary: str | None = None
    impact_started_at: datetime | None = None
    detected_at: datetime | None = None
    commander: str | None = None
    private: bool = False
    drill: bool = False
    drill_scenario: str | None = None
    drill_participants: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentFilter:
    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    service: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0
    cursor: int | None = None


@dataclass(frozen=True)
class IncidentPage:
    items: list[Incident]
    total: int
    next_cursor: int | None


def state_of(incident: Incident) -> IncidentState:
    return IncidentState(
        number=incident.id,
        status=incident.status,
        severity=incident.severity,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        commander=incident.commander,
    )


TIMELINE_BUFFER = "firebell_timeline_buffer"


def record(
    session: Session, incident_id: int, at: datetime, actor: str, kind: str, details: dict[str, Any]
) -> TimelineEvent:
    """Write a timeline event in the caller's transaction. A transaction that opened a
    buffer (`buffered_timeline`) collects its events and inserts them all at once, in
    order, at its end: one statement for a whole batch of alerts."""
    buffer = session.info.get(TIMELINE_BUFFER)
    if buffer is not None:
        buffer.append(
            {"incident_id": incident_id, "at": at, "actor": actor, "kind": kind, "details": details}
        )
        return TimelineEvent(**buffer[-1])
    event = TimelineEvent(incident_id=incident_id, at=at, actor=actor, kind=kind, details=details)
    session.add(event)
    return event


@contextmanager
def buffered_timeline(session: Session) -> Iterator[None]:
    """Collect the timeline events written inside, and insert them in one executemany
    when the block ends (they become visible to queries only then)."""
    buffer: list[dict[str, Any]] = []
    session.info[TIMELINE_BUFFER] = buffer
    try:
        yield
    finally:
        session.info.pop(TIMELINE_BUFFER, None)
    if buffer:
        session.flush()  # rows the events refer to (a new incident) exist first
        # Core executemany, past the ORM's bulk bookkeeping
        session.execute(insert(Base.metadata.tables["timeline_events"]), buffer)


class IncidentService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, playbook: LoadedPlaybook
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.hooks: list[Hook] = []

    # --- writes ----------------------------------------------------------------------

    def declare(self, declaration: Declaration, actor: Principal) -> Incident:
        """A person declares: unless someone else is named, they command it at first
        (the seed's initial notification names a commander within 5 minutes)."""
        self.validate(declaration)
        if declaration.commander is None:
            declaration = replace(declaration, commander=actor.name)
        with transaction(self.sessions) as session:
            return self.declare_in(session, declaration, actor.name, self.clock.now())

    def declare_in(
        self, session: Session, declaration: Declaration, actor: str, now: datetime
    ) -> Incident:
        """Declare inside the caller's transaction (intake uses this with its alert rows)."""
        incident = Incident(
            title=declaration.title.strip(),
            summary=declaration.summary,
            severity=declaration.severity,
            status="investigating",
            service=declaration.service,
            private=declaration.private,
            drill=declaration.drill,
            drill_scenario=declaration.drill_scenario,
            drill_participants=list(declaration.drill_participants) or None,
            commander=declaration.commander,
            created_by=actor,
            playbook_version=self.playbook.version,
            impact_started_at=declaration.impact_started_at,
            detected_at=declaration.detected_at or now,
            declared_at=now,
            updated_at=now,
        )
        session.add(incident)
        session.flush()
        change = Change(
            "declared",
            {},
            {
                "title": incident.title,
                "severity": incident.severity,
                "service": incident.service,
                "private": incident.private,
                "drill": incident.drill,
                "playbook_version": incident.playbook_version,
            },
        )
        record(session, incident.id, now, actor, change.kind, change.details)
        if declaration.commander:
            record(
                session,
                incident.id,
                now,
                actor,
                "commander_assigned",
                {"from": None, "to": declaration.commander},
            )
        self.run_hooks(session, incident, change, now)
        return incident

    def acknowledge(self, number: int, actor: Principal) -> Incident:
        return self._apply(number, actor, lambda s, now: lifecycle.acknowledge(s, actor.name, now))

    def set_status(self, number: int, status: str, actor: Principal) -> Incident:
        return self._apply(number, actor, lambda s, now: lifecycle.set_status(s, status, now))

    def resolve(self, number: int, actor: Principal, summary: str | None = None) -> Incident:
        """Resolve; a summary is kept as the `resolution_summary` fact that the
        resolution templates use."""

        def decide(state: IncidentState, now: datetime) -> Change:
            change = lifecycle.resolve(state, now)
            if summary:
                change.details["summary"] = summary
            return change

        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self._locked(session, number, actor)
            if summary:
                incident.facts = {**(incident.facts or {}), "resolution_summary": summary}
            self.apply_in(session, incident, decide, actor.name, now)
        return incident

    def change_severity(
        self, number: int, severity: str, reason: str, actor: Principal
    ) -> Incident:
        return self._apply(
            number, actor, lambda s, _now: lifecycle.change_severity(s, severity, reason)
        )

    def assign_commander(self, number: int, commander: str, actor: Principal) -> Incident:
        return self._apply(number, actor, lambda s, _now: lifecycle.assign_commander(s, commander))

    def escalate(
        self,
        number: int,
        level: int | None,
        actor: Principal,
        pager: Callable[[Session, Incident, int | None, str, datetime], int],
    ) -> int:
        """Manual escalation; the pager decides whom, in this transaction."""
        return self._while_open(
            number, actor, "escalate", lambda s, i, now: pager(s, i, level, actor.name, now)
        )

    def reassign(
        self,
        number: int,
        person: str,
        actor: Principal,
        pager: Callable[[Session, Incident, str, str, datetime], int],
    ) -> int:
        """Give the incident to one person; the pager decides how to reach them."""
        return self._while_open(
            number, actor, "reassign", lambda s, i, now: pager(s, i, person, actor.name, now)
        )

    def _while_open(
        self,
        number: int,
        actor: Principal,
        verb: str,
        work: Callable[[Session, Incident, datetime], int],
    ) -> int:
        """Run paging work on an open incident, locked, in one transaction."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self._locked(session, number, actor)
            if incident.status not in lifecycle.OPEN_STATUSES:
                raise Conflict(f"incident #{number} is {incident.status}; nothing to {verb}")
            return work(session, incident, now)

    def add_note(self, number: int, text: str, actor: Principal) -> TimelineEvent:
        change = lifecycle.add_note(text)
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self._locked(session, number, actor)
            event = record(session, incident.id, now, actor.name, change.kind, change.details)
            session.flush()
        return event

    def _apply(
        self,
        number: int,
        actor: Principal,
        decide: Callable[[IncidentState, datetime], Change],
    ) -> Incident:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self._locked(session, number, actor)
            self.apply_in(session, incident, decide, actor.name, now)
        return incident

    def apply_in(
        self,
        session: Session,
        incident: Incident,
        decide: Callable[[IncidentState, datetime], Change],
        actor: str,
        now: datetime,
    ) -> Change:
        """Decide and write one change inside the caller's transaction (row already locked)."""
        change = decide(state_of(incident), now)
        for name, value in change.fields.items():
            setattr(incident, name, value)
        incident.updated_at = now
        record(session, incident.id, now, actor, change.kind, change.details)
        self.run_hooks(session, incident, change, now)
        return change

    def run_hooks(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        for hook in self.hooks:
            hook(session, incident, change, now)

    # --- reads -----------------------------------------------------------------------

    def get(self, number: int, actor: Principal) -> Incident:
        with reading(self.sessions) as session:
            return self.visible(session, session.get(Incident, number), number, actor)

    def timeline(self, number: int, actor: Principal) -> list[TimelineEvent]:
        with reading(self.sessions) as session:
            self.visible(session, session.get(Incident, number), number, actor)
            query = (
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == number)
                .order_by(TimelineEvent.at, TimelineEvent.id)
            )
            return list(session.scalars(query))

    def timeline_page(
        self, number: int, actor: Principal, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> TimelinePage:
        """One page of the timeline, newest first (see timeline_pages)."""
        with reading(self.sessions) as session:
            self.visible(session, session.get(Incident, number), number, actor)
            return read_page(session, number, limit, cursor)

    def search(self, filters: IncidentFilter, actor: Principal) -> IncidentPage:
        query = select(Incident)
        if filters.statuses:
            query = query.where(Incident.status.in_(filters.statuses))
        if filters.severities:
            query = query.where(Incident.severity.in_(filters.severities))
        if filters.service:
            query = query.where(Incident.service == filters.service)
        if filters.since:
            query = query.where(Incident.declared_at >= filters.since)
        if filters.until:
            query = query.where(Incident.declared_at < filters.until)
        query = query.where(self.visible_clause(actor))
        with reading(self.sessions) as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            if filters.cursor is not None:
                query = query.where(Incident.id < filters.cursor)
            else:
                query = query.offset(filters.offset)
            rows = list(
                session.scalars(query.order_by(Incident.id.desc()).limit(filters.limit + 1))
            )
        more = len(rows) > filters.limit
        items = rows[: filters.limit]
        return IncidentPage(items, total, items[-1].id if more and items else None)

    # --- helpers ---------------------------------------------------------------------

    def write_locked(
        self, number: int, actor: Principal, work: Callable[[Session, Incident, datetime], _T]
    ) -> _T:
        """Run ``work`` in one transaction with the incident locked (and visible to actor)."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            return work(session, self._locked(session, number, actor), now)

    def get_in(self, session: Session, number: int, actor: Principal) -> Incident:
        """The incident, read in the caller's session, if the actor may see it."""
        return self.visible(session, session.get(Incident, number), number, actor)

    def _locked(self, session: Session, number: int, actor: Principal) -> Incident:
        incident = session.scalars(
            select(Incident).where(Incident.id == number).with_for_update()
        ).first()
        return self.visible(session, incident, number, actor)

    def visible(
        self, session: Session, incident: Incident | None, number: int, actor: Principal
    ) -> Incident:
        """The incident if `actor` may see it; else NotFound, so a private incident's
        existence does not leak (rules: `firebell.incidents.visibility`)."""
        return visibility.require_visible(session, self.playbook.playbook, incident, number, actor)

    def may_see(self, session: Session, incident: Incident, actor: Principal) -> bool:
        """Whether `actor` may see `incident` (for rows that point at other incidents)."""
        return visibility.may_see(session, self.playbook.playbook, incident, actor)

    def visible_clause(self, actor: Principal) -> ColumnElement[bool]:
        """The SQL filter for lists and counts of incidents `actor` may see."""
        return visibility.visible_clause(actor, self.security)

    @property
    def security(self) -> frozenset[str]:
        return visibility.security_people(self.playbook.playbook)

    def validate(self, declaration: Declaration) -> None:
        pb = self.playbook.playbook
        if not declaration.title.strip():
            raise Invalid.field("title", "an incident needs a title")
        if declaration.severity not in pb.severities:
            raise Invalid.field("severity", f"must be one of {', '.join(pb.severities)}")
        if declaration.service is not None and pb.service(declaration.service) is None:
            known = ", ".join(s.id for s in pb.services)
            raise Invalid.field(
                "service", f"unknown service '{declaration.service}'; known: {known}"
            )
        for name in ("impact_started_at", "detected_at"):
            value = getattr(declaration, name)
            if value is not None and value > self.clock.now():
                raise Invalid.field(name, "cannot be in the future")
