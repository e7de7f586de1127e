"""Action items: typed follow-up work (prevent / detect / respond) with an owner, a due
date, a priority and a status; reminders before the due date and an overdue event after
it, as timers; listed per person and per team."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.errors import Invalid, NotFound
from firebell.incidents.service import IncidentService, record
from firebell.playbook.schema import Playbook
from firebell.postmortems.models import ActionItem
from firebell.store.db import transaction
from firebell.store.models import Incident, Timer
from firebell.store.outbox import tell

ACTOR = "firebell"
KIND = "action_item_due"
STATUSES = ("open", "in_progress", "done", "cancelled")
PRIORITIES = ("P0", "P1", "P2", "P3")
CLOSED = ("done", "cancelled")


@dataclass(frozen=True)
class NewItem:
    category: str
    title: str
    owner: str
    due_at: datetime | None = None
    priority: str = "P2"
    team: str | None = None
    links: Sequence[str] = ()


@dataclass(frozen=True)
class ItemEdit:
    title: str | None = None
    owner: str | None = None
    team: str | None = None
    due_at: datetime | None = None
    priority: str | None = None
    status: str | None = None
    links: Sequence[str] | None = None


@dataclass(frozen=True)
class ItemFilter:
    owner: str | None = None
    team: str | None = None
    incident: int | None = None
    open_only: bool = False
    statuses: Sequence[str] = field(default_factory=tuple)


class ActionItems:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        incidents: IncidentService,
        ticketing: Callable[[], bool] = lambda: False,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.incidents = incidents
        self.ticketing = ticketing

    def _check(self, category: str | None, priority: str | None, status: str | None) -> None:
        kinds = self.playbook.postmortems.action_item_types
        if category is not None and category not in kinds:
            raise Invalid.field("category", f"must be one of {', '.join(kinds)}")
        if priority is not None and priority not in PRIORITIES:
            raise Invalid.field("priority", f"must be one of {', '.join(PRIORITIES)}")
        if status is not None and status not in STATUSES:
            raise Invalid.field("status", f"must be one of {', '.join(STATUSES)}")

    def team_of(self, person: str) -> str | None:
        return next((t.id for t in self.playbook.teams if person in t.members), None)

    def add(self, number: int, item: NewItem, actor: Principal) -> ActionItem:
        self._check(item.category, item.priority, None)
        if not item.title.strip():
            raise Invalid.field("title", "say what is to be done")
        if not item.owner.strip():
            raise Invalid.field("owner", "every action item needs an owner")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self.incidents._locked(session, number, actor)
            row = ActionItem(
                incident_id=incident.id,
                category=item.category,
                title=item.title.strip(),
                owner=item.owner.strip(),
                team=item.team or self.team_of(item.owner),
                priority=item.priority,
                status="open",
                due_at=item.due_at,
                links=list(item.links),
                created_at=now,
                created_by=actor.name,
                updated_at=now,
                done_at=None,
                ticket_status="requested" if self._wants_ticket() else None,
            )
            session.add(row)
            session.flush()
            self._arm(session, row, now)
            record(
                session,
                incident.id,
                now,
                actor.name,
                "action_item_added",
                {
                    "id": row.id,
                    "category": row.category,
                    "title": row.title,
                    "owner": row.owner,
                    "due_at": row.due_at.isoformat() if row.due_at else None,
                },
            )
            return row

    def _wants_ticket(self) -> bool:
        return bool(self.playbook.learning.action_item_ticket_project) and self.ticketing()

    def _arm(self, session: Session, row: ActionItem, now: datetime) -> None:
        """(Re)arm the reminder and the overdue timer of an open item with a due date."""
        session.execute(
            update(Timer)
            .where(Timer.kind == KIND, Timer.status == "pending", Timer.generation == row.id)
            .values(status="cancelled")
        )
        if row.due_at is None or row.status in CLOSED:
            return
        remind_at = row.due_at - self.playbook.learning.action_item_reminder.approx()
        stages = [("reminder", remind_at)] if remind_at > now else []
        stages.append(("overdue", row.due_at))
        for stage, at in stages:
            session.add(
                Timer(
                    kind=KIND,
                    due_at=at,
                    status="pending",
                    incident_id=row.incident_id,
                    generation=row.id,  # the item's id: lets an edit cancel its timers
                    payload={"stage": stage, "item": row.id},
                    created_at=now,
                )
            )

    def update(self, item_id: int, edit: ItemEdit, actor: Principal) -> ActionItem:
        self._check(None, edit.priority, edit.status)
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(ActionItem, item_id, with_for_update=True)
            if row is None:
                raise NotFound(f"action item {item_id} does not exist")
            self.incidents._locked(session, row.incident_id, actor)
            changed: dict[str, object] = {}
            for name in ("title", "owner", "team", "due_at", "priority", "status"):
                value = getattr(edit, name)
                if value is not None and value != getattr(row, name):
                    old = getattr(row, name)
                    changed[name] = {
                        "from": old.isoformat() if isinstance(old, datetime) else old,
                        "to": value.isoformat() if isinstance(value, datetime) else value,
                    }
                    setattr(row, name, value)
            if edit.links is not None and list(edit.links) != row.links:
                row.links = list(edit.links)
                changed["links"] = row.links
            if "status" in changed:
                row.done_at = now if row.status == "done" else None
            if changed:
                row.updated_at = now
                self._arm(session, row, now)
                record(
                    session,
                    row.incident_id,
                    now,
                    actor.name,
                    "action_item_updated",
                    {"id": row.id, **changed},
                )
            session.flush()
            return row

    def get(self, item_id: int, actor: Principal) -> ActionItem:
        with self.sessions() as session:
            row = session.get(ActionItem, item_id)
            if row is None:
                raise NotFound(f"action item {item_id} does not exist")
            self.incidents.visible(
                session, session.get(Incident, row.incident_id), row.incident_id, actor
            )
            return row

    def list(self, filters: ItemFilter, actor: Principal) -> list[ActionItem]:
        query = select(ActionItem).join(Incident, Incident.id == ActionItem.incident_id)
        if filters.owner:
            query = query.where(ActionItem.owner == filters.owner)
        if filters.team:
            query = query.where(ActionItem.team == filters.team)
        if filters.incident is not None:
            query = query.where(ActionItem.incident_id == filters.incident)
        if filters.open_only:
            query = query.where(ActionItem.status.not_in(CLOSED))
        if filters.statuses:
            query = query.where(ActionItem.status.in_(filters.statuses))
        # Private incidents' items to their members too (the one visibility rule).
        query = query.where(self.incidents.visible_clause(actor))
        with self.sessions() as session:
            return list(
                session.scalars(
                    query.order_by(
                        ActionItem.due_at.is_(None), ActionItem.due_at, ActionItem.id
                    ).limit(1000)
                )
            )

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        row = session.get(ActionItem, timer.payload.get("item"))
        if row is None or row.status in CLOSED:
            return
        overdue = timer.payload.get("stage") == "overdue"
        kind = "action_item_overdue" if overdue else "action_item_reminder"
        incident = session.get(Incident, row.incident_id)
        person = next((p for p in self.playbook.people if p.id == row.owner), None)
        told = 0
        if person is not None and incident is not None:
            due = row.due_at.strftime("%Y-%m-%d %H:%M UTC") if row.due_at else "-"
            told = tell(
                session,
                person,
                purpose="reminder",
                subject=f"[firebell] action item {row.id} {'overdue' if overdue else 'due'}",
                body=f"Action item {row.id} ({row.category}, {row.priority}) from incident "
                f"#{row.incident_id}: {row.title}. Due {due}; it is {row.status}.",
                key=f"{kind}:{row.id}:{timer.id}",
                now=now,
                incident=incident,
            )
        record(
            session,
            row.incident_id,
            now,
            ACTOR,
            kind,
            {"id": row.id, "owner": row.owner, "told": told},
        )


def item_json(row: ActionItem) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row.id,
        "incident_id": row.incident_id,
        "category": row.category,
        "title": row.title,
        "owner": row.owner,
        "team": row.team,
        "priority": row.priority,
        "status": row.status,
        "due_at": iso(row.due_at),
        "links": row.links,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "done_at": iso(row.done_at),
        "ticket": {
            "key": row.ticket_key,
            "status": row.ticket_status,
            "checked_at": iso(row.ticket_checked_at),
        },
    }
