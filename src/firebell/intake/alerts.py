"""Alerts as people read them: filters, status history, and what held an alert back.

Read-only service used by the API (`/api/v1/alerts`, `/api/v1/incidents/{n}/alerts`)
and so by `firebell alerts`. An alert of a private incident is shown only to those who
may see the incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.incidents.service import IncidentService
from firebell.store.models import Alert, Incident, IncidentLink, Silence

AlertState = Literal["triggered", "acknowledged", "resolved"]


@dataclass(frozen=True)
class AlertFilter:
    states: Sequence[str] = ()
    integration: str | None = None
    service: str | None = None
    silenced: bool | None = None
    limit: int = 100
    cursor: int | None = None  # the id of the last alert of the previous page


@dataclass(frozen=True)
class HeldBack:
    """The silence or maintenance window that kept an alert from paging."""

    id: int | None
    kind: str
    service: str | None
    comment: str | None
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    held_back_by: HeldBack | None

    def history(self) -> list[dict[str, Any]]:
        """Each state the alert was in and since when (a resolved key that fires again is
        a new alert, so this list only grows)."""
        a = self.alert
        steps: list[tuple[str, datetime | None]] = [
            ("triggered", a.first_seen_at),
            ("acknowledged", a.acknowledged_at),
            ("resolved", a.resolved_at),
        ]
        return [{"status": s, "at": at.isoformat()} for s, at in steps if at is not None]


@dataclass(frozen=True)
class AlertPage:
    items: list[AlertView]
    next_cursor: int | None


def silence_id(held: str | None) -> int | None:
    """`silence #3` / `maintenance #4` (as stored on the alert) -> 3 / 4."""
    if not held or "#" not in held:
        return None
    number = held.rsplit("#", 1)[1]
    return int(number) if number.isdigit() else None


class AlertReader:
    def __init__(self, sessions: sessionmaker[Session], incidents: IncidentService) -> None:
        self.sessions = sessions
        self.incidents = incidents

    def search(self, filters: AlertFilter, actor: Principal) -> AlertPage:
        query = select(Alert).outerjoin(Incident, Incident.id == Alert.incident_id)
        if filters.states:
            query = query.where(Alert.status.in_(filters.states))
        if filters.integration:
            query = query.where(Alert.integration == filters.integration)
        if filters.service:
            query = query.where(Alert.service == filters.service)
        if filters.silenced is not None:
            held = Alert.silenced_by.is_not(None)
            query = query.where(held if filters.silenced else ~held)
        # Alerts of a private incident: its members and admins only (incidents.visibility).
        query = query.where(or_(Alert.incident_id.is_(None), self.incidents.visible_clause(actor)))
        if filters.cursor is not None:
            query = query.where(Alert.id < filters.cursor)
        query = query.order_by(Alert.id.desc()).limit(filters.limit + 1)
        with self.sessions() as session:
            rows = list(session.scalars(query))
            more = len(rows) > filters.limit
            rows = rows[: filters.limit]
            views = self._views(session, rows)
        return AlertPage(views, rows[-1].id if more and rows else None)

    def of_incident(self, number: int, actor: Principal) -> tuple[list[AlertView], list[Any]]:
        """The incident's alerts (oldest first) and its links to other incidents that
        the actor may see. NotFound if the incident is not visible."""
        self.incidents.get(number, actor)
        with self.sessions() as session:
            rows = list(
                session.scalars(select(Alert).where(Alert.incident_id == number).order_by(Alert.id))
            )
            links = list(
                session.scalars(
                    select(IncidentLink)
                    .where(
                        or_(IncidentLink.incident_id == number, IncidentLink.linked_id == number)
                    )
                    .order_by(IncidentLink.id)
                )
            )
            visible = [
                {
                    "incident": other.id,
                    "reason": link.reason,
                    "direction": "to" if link.incident_id == number else "from",
                    "created_at": link.created_at.isoformat(),
                }
                for link in links
                if (other := self._other(session, link, number)) is not None
                and self.incidents.may_see(session, other, actor)
            ]
            return self._views(session, rows), visible

    @staticmethod
    def _other(session: Session, link: IncidentLink, number: int) -> Incident | None:
        other = link.linked_id if link.incident_id == number else link.incident_id
        return session.get(Incident, other)

    @staticmethod
    def _views(session: Session, rows: list[Alert]) -> list[AlertView]:
        ids = {i for i in (silence_id(r.silenced_by) for r in rows) if i is not None}
        silences = (
            {s.id: s for s in session.scalars(select(Silence).where(Silence.id.in_(ids)))}
            if ids
            else {}
        )
        views: list[AlertView] = []
        for row in rows:
            held: HeldBack | None = None
            if row.silenced_by:
                number = silence_id(row.silenced_by)
                found = silences.get(number) if number is not None else None
                held = HeldBack(
                    number,
                    found.kind if found else row.silenced_by.split(" ", 1)[0],
                    found.service if found else None,
                    found.comment if found else None,
                    found.starts_at if found else None,
                    found.ends_at if found else None,
                )
            views.append(AlertView(row, held))
        return views
