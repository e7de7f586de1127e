"""Planned maintenance: the notices of the seed's template 4 and the window's states.

Pure part (`plan`, `end_status`): which notices go when, what the end means. The service
writes a window, its silences (alerts for its services during the window are recorded
and page nobody), its durable timers and the notices that are already due, in one
transaction; the engine fires the rest.

    scheduled -> in_progress -> completed            (at the end)
                             -> verifying -> completed  (playbook: maintenance.verify)
    scheduled | in_progress -> cancelled
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.comms.context import STAMP, words
from firebell.comms.destinations import destination
from firebell.comms.guard import customer_leaks
from firebell.comms.render import TemplateProblem, render
from firebell.errors import Conflict, Invalid, NotFound
from firebell.playbook.schema import Playbook
from firebell.statuspage.models import Maintenance
from firebell.statuspage.schema import MaintenancePolicy
from firebell.statuspage.subscribers import Notice, Subscribers
from firebell.store.db import transaction
from firebell.store.models import Silence, Timer
from firebell.store.outbox import enqueue

TIMER = "maintenance"
NOTICES = ("advance_notice", "reminder")


@dataclass(frozen=True)
class Step:
    name: str  # advance_notice | reminder | start | end
    due_at: datetime


def plan(policy: MaintenancePolicy, now: datetime, start: datetime, end: datetime) -> list[Step]:
    """The steps of a window scheduled at `now`. A notice whose lead time has already
    passed is sent at once if it still applies: the advance notice always (it is the
    full notice), the reminder only when its own time is still ahead (a reminder sent
    at once would repeat the advance notice), and none once the window has begun."""
    steps: list[Step] = []
    if now < start:
        steps.append(Step("advance_notice", max(now, start - policy.advance_notice.approx())))
        reminder = start - policy.reminder.approx()
        if reminder > now:
            steps.append(Step("reminder", reminder))
    steps.append(Step("start", max(now, start)))
    steps.append(Step("end", end))
    return steps


def end_status(policy: MaintenancePolicy) -> str:
    return "verifying" if policy.verify else "completed"


def fields(row: Maintenance) -> dict[str, Any]:
    """The `maintenance` values of template 4."""
    return {
        "date": f"{row.starts_at:%Y-%m-%d}",
        "start": row.starts_at.strftime(STAMP),
        "end": row.ends_at.strftime(STAMP),
        "start_time": f"{row.starts_at:%H:%M}",
        "end_time": f"{row.ends_at:%H:%M}",
        "duration": words(row.ends_at - row.starts_at),
        "impact": row.impact,
        "reason": row.reason,
        "title": row.title,
    }


@dataclass(frozen=True)
class Request:
    title: str
    components: list[str]
    starts_at: datetime
    ends_at: datetime
    description: str
    impact: str
    reason: str


class Maintenances:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Callable[[], Playbook],
        subscribers: Subscribers,
        page_url: Callable[[], str],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.subscribers = subscribers
        self.page_url = page_url

    # --- rendering --------------------------------------------------------------------

    def render(self, row: Maintenance, variant: str) -> tuple[str, str]:
        """(subject, body) of a template 4 variant; refuses what would leak."""
        pb = self.playbook()
        family = pb.communications.templates.get(pb.status_page.maintenance.template)
        if family is None or variant not in family.variants:
            raise Invalid.field("template", f"the playbook has no maintenance '{variant}'")
        spec = family.variants[variant]
        org = pb.organization
        context: dict[str, Any] = {
            "maintenance": fields(row),
            "org": {
                k: v for k, v in {"name": org.name, "support_email": org.support_email}.items() if v
            },
            "status_page_url": self.page_url(),
            "now": self.clock.now().strftime(STAMP),
        }
        name = f"maintenance.{variant}"
        try:
            body = render(name, spec.body or "", context).strip("\n")
            subject = render(f"{name}.subject", spec.subject or row.title, context)
        except TemplateProblem as exc:
            raise Invalid.field("template", str(exc)) from None
        found = customer_leaks(f"{subject}\n{body}", pb.communications)
        if found:
            raise Invalid.field(
                "description",
                "the notice would contain "
                + ", ".join(f"'{s}'" for s in found)
                + ", which must not reach customers",
            )
        return subject, body

    # --- writes -----------------------------------------------------------------------

    def schedule(self, request: Request, actor: Principal) -> Maintenance:
        pb = self.playbook()
        now = self.clock.now()
        known = {c.id: c for c in pb.status_page.components}
        if not request.components:
            raise Invalid.field("components", "name at least one component")
        for component in request.components:
            if component not in known:
                raise Invalid.field(
                    "components", f"unknown component '{component}'; known: {', '.join(known)}"
                )
        if request.ends_at <= request.starts_at:
            raise Invalid.field("ends_at", "must be after starts_at")
        if request.ends_at <= now:
            raise Invalid.field("ends_at", "is in the past")
        policy = pb.status_page.maintenance
        with transaction(self.sessions) as session:
            row = Maintenance(
                title=request.title,
                description=request.description,
                components=sorted(set(request.components)),
                starts_at=request.starts_at,
                ends_at=request.ends_at,
                status="scheduled",
                impact=request.impact,
                reason=request.reason,
                updates=[_update("scheduled", request.description or request.title, now)],
                notices=[],
                silence_ids=[],
                created_at=now,
                created_by=actor.name,
                updated_at=now,
                started_at=None,
                completed_at=None,
            )
            for variant in NOTICES:  # refuse now what could not be sent later
                self.render(row, variant)
            public = f"{request.title}\n{request.description}"  # shown on the page as is
            found = customer_leaks(public, pb.communications)
            if found:
                raise Invalid.field(
                    "description", f"contains '{found[0]}', which must not reach customers"
                )
            session.add(row)
            session.flush()
            services = sorted(
                {s for c in row.components for s in known[c].services if pb.service(s)}
            )
            for service in services:
                silence = Silence(
                    kind="maintenance",
                    service=service,
                    matchers={"all": []},
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    comment=f"maintenance m{row.id}: {row.title}",
                    created_by=actor.name,
                    created_at=now,
                )
                session.add(silence)
                session.flush()
                row.silence_ids = [*row.silence_ids, silence.id]
            for step in plan(policy, now, row.starts_at, row.ends_at):
                if step.due_at <= now:
                    self._step(session, row, step.name, now)
                else:
                    session.add(
                        Timer(
                            kind=TIMER,
                            due_at=step.due_at,
                            status="pending",
                            incident_id=None,
                            generation=0,
                            payload={"maintenance": row.id, "step": step.name},
                            created_at=now,
                        )
                    )
            return row

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        row = session.get(Maintenance, int(timer.payload["maintenance"]), with_for_update=True)
        if row is None or row.status == "cancelled":
            return
        self._step(session, row, str(timer.payload["step"]), now)

    def _step(self, session: Session, row: Maintenance, step: str, now: datetime) -> None:
        if step in NOTICES:
            if step not in row.notices and row.status == "scheduled":
                self._notify(session, row, step, now)
                row.notices = [*row.notices, step]
                row.updated_at = now
        elif step == "start" and row.status == "scheduled":
            self._move(row, "in_progress", "Scheduled maintenance is currently in progress.", now)
            row.started_at = now
        elif step == "end" and row.status == "in_progress":
            status = end_status(self.playbook().status_page.maintenance)
            text = (
                "Maintenance is complete; we are verifying the results."
                if status == "verifying"
                else "The scheduled maintenance has been completed."
            )
            self._move(row, status, text, now)
            if status == "completed":
                row.completed_at = now

    def _move(self, row: Maintenance, status: str, text: str, now: datetime) -> None:
        row.status, row.updated_at = status, now
        row.updates = [*row.updates, _update(status, text, now)]

    def _notify(self, session: Session, row: Maintenance, variant: str, now: datetime) -> None:
        subject, body = self.render(row, variant)
        key = f"maintenance:{row.id}:{variant}"
        self.subscribers.fanout(
            session,
            Notice(
                key=key,
                subject=subject,
                body=body,
                components=frozenset(row.components),
                event={
                    "type": f"maintenance.{variant}",
                    "scheduled_maintenance": {
                        "id": f"m{row.id}",
                        "name": row.title,
                        "status": row.status,
                        "scheduled_for": row.starts_at.isoformat(),
                        "scheduled_until": row.ends_at.isoformat(),
                        "components": row.components,
                    },
                    "text": body,
                },
            ),
            now,
        )
        pb = self.playbook()
        audience_id = pb.status_page.maintenance.internal_audience
        audience = next((a for a in pb.communications.audiences if a.id == audience_id), None)
        for channel in audience.channels if audience else []:
            where = destination(channel)
            if where.kind != "message":
                continue
            enqueue(
                session,
                purpose="maintenance",
                method=where.method,
                address=where.address,
                subject=subject,
                body=body,
                dedupe_key=f"{key}:internal:{channel}",
                now=now,
                payload={"audience": audience_id, "template": f"maintenance.{variant}"},
            )

    def complete(self, maintenance_id: int, actor: Principal) -> Maintenance:
        """End a window now (early, or after verifying)."""
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._get(session, maintenance_id)
            if row.status not in ("in_progress", "verifying"):
                raise Conflict(f"maintenance m{row.id} is {row.status}; only a started one ends")
            self._move(row, "completed", f"Completed (by {actor.name}).", now)
            row.completed_at = now
            self._end_silences(session, row, now)
            self._cancel_timers(session, row)
            return row

    def cancel(self, maintenance_id: int, actor: Principal) -> Maintenance:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._get(session, maintenance_id)
            if row.status not in ("scheduled", "in_progress"):
                raise Conflict(f"maintenance m{row.id} is {row.status}")
            row.status, row.updated_at = "cancelled", now
            row.updates = [*row.updates, _update("cancelled", f"Cancelled by {actor.name}.", now)]
            self._end_silences(session, row, now)
            self._cancel_timers(session, row)
            return row

    def _get(self, session: Session, maintenance_id: int) -> Maintenance:
        row = session.get(Maintenance, maintenance_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no maintenance m{maintenance_id}")
        return row

    def _end_silences(self, session: Session, row: Maintenance, now: datetime) -> None:
        for silence in session.scalars(select(Silence).where(Silence.id.in_(row.silence_ids))):
            silence.ends_at = min(silence.ends_at, now)
            silence.starts_at = min(silence.starts_at, silence.ends_at)

    def _cancel_timers(self, session: Session, row: Maintenance) -> None:
        pending = session.scalars(
            select(Timer).where(Timer.kind == TIMER, Timer.status == "pending")
        ).all()
        ids = [t.id for t in pending if t.payload.get("maintenance") == row.id]
        if ids:
            session.execute(update(Timer).where(Timer.id.in_(ids)).values(status="cancelled"))

    def list(self) -> list[Maintenance]:
        with self.sessions() as session:
            return list(session.scalars(select(Maintenance).order_by(Maintenance.starts_at)))


def _update(status: str, body: str, now: datetime) -> dict[str, str]:
    return {"status": status, "body": body, "at": now.isoformat()}


def describe(row: Maintenance) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "components": row.components,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "status": row.status,
        "impact": row.impact,
        "reason": row.reason,
        "notices_sent": row.notices,
        "silences": row.silence_ids,
        "updates": row.updates,
        "created_by": row.created_by,
    }
