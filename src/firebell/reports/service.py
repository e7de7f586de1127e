"""The shell around the metrics core: read a history from storage, take targets, zones and
working hours from the playbook, and compute. The API, CLI and monthly report call this."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Invalid
from firebell.incidents import visibility
from firebell.playbook.schema import WEEKDAYS, Playbook
from firebell.postmortems.models import ActionItem, Postmortem
from firebell.reports.metrics import (
    ActionItemRecord,
    History,
    IncidentRecord,
    IncidentRef,
    Metrics,
    PageRecord,
    PostmortemRecord,
    Scope,
    Target,
    WorkingHours,
    compute,
)
from firebell.reports.monthly import MonthlyReview, OpenItem, OverduePostmortem
from firebell.store.models import Incident, Message, TimelineEvent


def targets_of(playbook: Playbook) -> dict[str, Target]:
    """The SLA table's targets by severity (severities without a row use their own
    response and resolution times)."""
    targets: dict[str, Target] = {
        sev_id: Target(
            sev.response_time, sev.resolution_target, sev.response_time, sev.resolution_target
        )
        for sev_id, sev in playbook.severities.items()
    }
    for row in playbook.sla:
        targets[row.severity] = Target(
            row.response_time, row.resolution_time, row.mtta_target, row.mttr_target
        )
    return targets


def working_hours_of(playbook: Playbook) -> WorkingHours:
    hours = playbook.compensation.business_hours
    return WorkingHours(frozenset(WEEKDAYS.index(d) for d in hours.days), hours.start, hours.end)


INCIDENT_COLUMNS = (
    Incident.id,
    Incident.title,
    Incident.severity,
    Incident.service,
    Incident.declared_at,
    Incident.acknowledged_at,
    Incident.resolved_at,
    Incident.impact_started_at,
    Incident.detected_at,
    Incident.private,
    Incident.drill,
    Incident.facts,
)


def incident_record(row: Row[Any], linked: tuple[int, ...] = ()) -> IncidentRecord:
    """An incident as the metrics see it (from a row of INCIDENT_COLUMNS)."""
    facts = row.facts if isinstance(row.facts, dict) else {}
    return IncidentRecord(
        number=row.id,
        title=row.title,
        severity=row.severity,
        service=row.service,
        declared_at=row.declared_at,
        acknowledged_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
        impact_started_at=row.impact_started_at,
        detected_at=row.detected_at,
        private=row.private,
        drill=row.drill,
        root_cause=str(facts["root_cause"]) if facts.get("root_cause") else None,
        linked=linked,
    )


def _links(session: Session, numbers: list[int]) -> dict[int, tuple[int, ...]]:
    """Incidents linked to each other (the related-incidents rule's `incidents_linked`)."""
    links: dict[int, set[int]] = {}
    for chunk in range(0, len(numbers), 500):
        rows = session.execute(
            select(TimelineEvent.incident_id, TimelineEvent.details).where(
                TimelineEvent.kind == "incidents_linked",
                TimelineEvent.incident_id.in_(numbers[chunk : chunk + 500]),
            )
        )
        for number, details in rows:
            related = details.get("related", []) if isinstance(details, dict) else []
            links.setdefault(number, set()).update(n for n in related if isinstance(n, int))
    return {n: tuple(sorted(v)) for n, v in links.items()}


def load_history(
    session: Session,
    since: datetime,
    until: datetime,
    visible: ColumnElement[bool] | None = None,
) -> History:
    """Everything the metrics of [since, until) need, as plain rows (no ORM objects).

    `visible` (an `incidents.visibility` clause over `Incident`) keeps only the incidents
    the reader may see, and only their pages, post-mortems and action items: a private
    incident is absent from a non-member's figures, not counted anonymously."""
    seen = true() if visible is None else visible
    incidents = session.execute(
        select(*INCIDENT_COLUMNS).where(
            Incident.declared_at >= since, Incident.declared_at < until, seen
        )
    ).all()
    links = _links(session, [i.id for i in incidents])
    page_rows = session.execute(
        select(Message.incident_id, Message.person, Message.created_at, Incident.drill)
        .join(Incident, Incident.id == Message.incident_id)
        .where(
            Message.purpose == "page",
            Message.person.is_not(None),
            Message.incident_id.is_not(None),
            Message.created_at >= since,
            Message.created_at < until,
            seen,
        )
        .distinct()
    ).all()
    postmortems = session.execute(
        select(Postmortem.incident_id, Postmortem.due_at, Postmortem.published_at)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(Postmortem.due_at >= since, Postmortem.due_at < until, seen)
    ).all()
    # Items due in the period (for the completion rate) and every open one (the count).
    items = session.execute(
        select(ActionItem.id, ActionItem.owner, ActionItem.due_at, ActionItem.done_at)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(
            ActionItem.status != "cancelled",
            or_(
                and_(ActionItem.due_at >= since, ActionItem.due_at < until),
                ActionItem.done_at.is_(None),
            ),
            seen,
        )
    ).all()
    return History(
        incidents=[incident_record(i, links.get(i.id, ())) for i in incidents],
        pages=[
            PageRecord(person=str(p), at=at, incident=int(n or 0), drill=bool(d))
            for n, p, at, d in page_rows
        ],
        postmortems=[PostmortemRecord(*p) for p in postmortems],
        action_items=[ActionItemRecord(*a) for a in items],
    )


def month_start(month: str) -> datetime:
    try:
        return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid.field("month", f"'{month}' is not YYYY-MM") from None


def add_months(start: datetime, count: int) -> datetime:
    index = start.year * 12 + start.month - 1 + count
    return start.replace(year=index // 12, month=index % 12 + 1)


class Reports:
    """Metrics and the monthly review as one reader sees them: the incidents they may see
    (`incidents.visibility`), nothing of the others, not even in a count."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Callable[[], Playbook],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook

    def visible_to(self, actor: Principal) -> ColumnElement[bool]:
        return visibility.visible_clause(actor, visibility.security_people(self.playbook()))

    def metrics(
        self,
        since: datetime,
        until: datetime,
        actor: Principal,
        severity: str | None = None,
        service: str | None = None,
    ) -> Metrics:
        return self._metrics(since, until, self.visible_to(actor), severity, service)

    def _metrics(
        self,
        since: datetime,
        until: datetime,
        visible: ColumnElement[bool],
        severity: str | None = None,
        service: str | None = None,
    ) -> Metrics:
        pb = self.playbook()
        if until <= since:
            raise Invalid.field("until", "must be after 'since'")
        if severity is not None and severity not in pb.severities:
            raise Invalid.field("severity", f"must be one of {', '.join(pb.severities)}")
        if service is not None and pb.service(service) is None:
            raise Invalid.field("service", f"unknown service '{service}'")
        scope = Scope(since, until, self.clock.now(), severity, service)
        with self.sessions() as session:
            history = load_history(session, since, until, visible)
        zones = {p.id: p.timezone for p in pb.people}
        return compute(history, scope, targets_of(pb), zones, working_hours_of(pb))

    def monthly(self, month: str, actor: Principal, months: int = 6) -> MonthlyReview:
        """The month's review as `actor` may see it, with the trend over the `months`
        ending with it."""
        return self._monthly(month, self.visible_to(actor), months)

    def monthly_for_everyone(self, month: str, months: int = 6) -> MonthlyReview:
        """The review as anyone may see it (no private incident): what is e-mailed to
        the management audience, a list whose readers firebell cannot check."""
        return self._monthly(month, visibility.public_only(), months)

    def _monthly(self, month: str, visible: ColumnElement[bool], months: int) -> MonthlyReview:
        start = month_start(month)
        trend = []
        for back in range(months - 1, -1, -1):
            first = add_months(start, -back)
            trend.append((f"{first:%Y-%m}", self._metrics(first, add_months(first, 1), visible)))
        now = self.clock.now()
        with self.sessions() as session:
            overdue = self._overdue_postmortems(session, now, visible)
            items = self._open_items(session, now, visible)
        return MonthlyReview(
            month=month,
            generated_at=now,
            metrics=trend[-1][1],
            trend=trend,
            targets=targets_of(self.playbook()),
            overdue_postmortems=overdue,
            open_items=items,
        )

    @staticmethod
    def _overdue_postmortems(
        session: Session, now: datetime, visible: ColumnElement[bool]
    ) -> list[OverduePostmortem]:
        rows = session.execute(
            select(Postmortem, Incident)
            .join(Incident, Incident.id == Postmortem.incident_id)
            .where(Postmortem.state != "published", Postmortem.due_at < now, visible)
            .order_by(Postmortem.due_at)
        ).all()
        return [
            OverduePostmortem(
                IncidentRef(i.id, i.title, i.severity, i.service), pm.due_at, pm.state
            )
            for pm, i in rows
            if pm.due_at is not None and not i.drill
        ]

    @staticmethod
    def _open_items(
        session: Session, now: datetime, visible: ColumnElement[bool]
    ) -> list[OpenItem]:
        rows = session.scalars(
            select(ActionItem)
            .join(Incident, Incident.id == ActionItem.incident_id)
            .where(ActionItem.status.in_(("open", "in_progress")), visible)
            .order_by(ActionItem.due_at.is_(None), ActionItem.due_at, ActionItem.id)
        ).all()
        return [
            OpenItem(
                a.id,
                a.incident_id,
                a.title,
                a.owner,
                a.priority,
                a.due_at,
                a.due_at is not None and a.due_at < now,
            )
            for a in rows
        ]
