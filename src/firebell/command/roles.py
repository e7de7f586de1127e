"""Roles, tasks and decisions on an incident: each step timestamped on the timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.principal import Principal
from firebell.errors import Conflict, Invalid, NotFound
from firebell.incidents import lifecycle
from firebell.incidents.base import OnIncidents
from firebell.incidents.lifecycle import Change
from firebell.incidents.service import record
from firebell.store.db import reading, transaction
from firebell.store.models import Incident, RoleAssignment, Task

TASK_STEPS = {"acknowledged": ("assigned",), "done": ("assigned", "acknowledged")}


class IncidentCommand(OnIncidents):
    def _incident(self, session: Session, number: int, actor: Principal) -> Incident:
        incident = session.scalars(
            select(Incident).where(Incident.id == number).with_for_update()
        ).first()
        return self.incidents.visible(session, incident, number, actor)

    def _write(
        self, number: int, actor: Principal, work: Callable[[Session, Incident, datetime], Any]
    ) -> Any:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self._incident(session, number, actor)
            if incident.status == "closed":
                raise Conflict(f"incident #{number} is closed")
            return work(session, incident, now)

    # --- roles --------------------------------------------------------------------------

    def role_ids(self) -> dict[str, str]:
        return {r.id: r.name for r in self.playbook.war_room.roles}

    def assign_role(self, number: int, role: str, person: str, actor: Principal) -> None:
        self._write(
            number, actor, lambda s, i, now: self.assign_role_in(s, i, role, person, actor, now)
        )

    def assign_role_in(
        self,
        session: Session,
        incident: Incident,
        role: str,
        person: str,
        actor: Principal,
        now: datetime,
    ) -> None:
        """Give a role inside the caller's transaction (incident locked)."""
        roles = self.role_ids()
        if role not in roles:
            raise Invalid.field("role", f"unknown role '{role}'; roles: {', '.join(roles)}")
        person = person.strip().lstrip("@")
        if not person:
            raise Invalid.field("person", "name who takes the role")
        holders = list(
            session.scalars(
                select(RoleAssignment).where(
                    RoleAssignment.incident_id == incident.id,
                    RoleAssignment.role == role,
                    RoleAssignment.released_at.is_(None),
                )
            )
        )
        if role != "sme" and any(h.person == person for h in holders):
            raise Conflict(f"{person} already holds {roles[role]} on #{incident.id}")
        previous = None
        if role != "sme":  # SMEs accumulate; every other role has one holder
            for holder in holders:
                holder.released_at = now
                previous = holder.person
        session.add(
            RoleAssignment(
                incident_id=incident.id,
                role=role,
                person=person,
                assigned_at=now,
                assigned_by=actor.name,
                released_at=None,
            )
        )
        change = Change(
            "role_assigned",
            {},
            {
                "role": role,
                "role_name": roles[role],
                "person": person,
                "previous": previous,
                "handover": previous is not None,
            },
        )
        record(session, incident.id, now, actor.name, change.kind, change.details)
        if role == "ic" and incident.commander != person:
            self.incidents.apply_in(
                session,
                incident,
                lambda s, _t: lifecycle.assign_commander(s, person),
                actor.name,
                now,
            )
        self.incidents.run_hooks(session, incident, change, now)

    def release_role(self, number: int, role: str, person: str, actor: Principal) -> None:
        """Take a role back from `person` (they stay a member of the incident). The
        commander is not released to nobody: hand the role to someone else instead."""
        roles = self.role_ids()
        if role not in roles:
            raise Invalid.field("role", f"unknown role '{role}'; roles: {', '.join(roles)}")
        if role == "ic":
            raise Invalid.field(
                "role", "an incident keeps its commander: assign the role to someone else"
            )
        person = person.strip().lstrip("@")
        if not person:
            raise Invalid.field("person", "name who gives up the role")

        def work(session: Session, incident: Incident, now: datetime) -> None:
            held = session.scalars(
                select(RoleAssignment).where(
                    RoleAssignment.incident_id == incident.id,
                    RoleAssignment.role == role,
                    RoleAssignment.person == person,
                    RoleAssignment.released_at.is_(None),
                )
            ).first()
            if held is None:
                raise Conflict(f"{person} does not hold {roles[role]} on #{incident.id}")
            held.released_at = now
            record(
                session,
                incident.id,
                now,
                actor.name,
                "role_released",
                {"role": role, "role_name": roles[role], "person": person},
            )

        self._write(number, actor, work)

    def holders(self, session: Session, incident_id: int) -> dict[str, list[str]]:
        rows = session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.incident_id == incident_id, RoleAssignment.released_at.is_(None))
            .order_by(RoleAssignment.id)
        )
        result: dict[str, list[str]] = {}
        for row in rows:
            result.setdefault(row.role, []).append(row.person)
        return result

    def missing_roles(self, session: Session, incident: Incident) -> list[str]:
        return self.missing_given(incident, self.holders(session, incident.id))

    def missing_given(self, incident: Incident, holders: dict[str, list[str]]) -> list[str]:
        """The required roles nobody holds, given `holders` (as read by `holders`)."""
        held = dict(holders)
        if incident.commander and "ic" not in held:
            held["ic"] = [incident.commander]
        return [
            r.id
            for r in self.playbook.war_room.roles
            if incident.severity in r.required_for and r.id not in held
        ]

    def roles(self, number: int, actor: Principal) -> dict[str, Any]:
        with reading(self.sessions) as session:
            incident = self.incidents.get(number, actor)
            held = self.holders(session, number)
            history = [
                {
                    "role": r.role,
                    "person": r.person,
                    "assigned_at": r.assigned_at.isoformat(),
                    "released_at": r.released_at.isoformat() if r.released_at else None,
                }
                for r in session.scalars(
                    select(RoleAssignment)
                    .where(RoleAssignment.incident_id == number)
                    .order_by(RoleAssignment.id)
                )
            ]
            return {
                "incident_id": number,
                "holders": held,
                "missing": self.missing_roles(session, incident),
                "history": history,
            }

    # --- tasks --------------------------------------------------------------------------

    def add_task(self, number: int, assignee: str, text: str, actor: Principal) -> Task:
        task: Task = self._write(
            number, actor, lambda s, i, now: self.add_task_in(s, i, assignee, text, actor, now)
        )
        return task

    def add_task_in(
        self,
        session: Session,
        incident: Incident,
        assignee: str,
        text: str,
        actor: Principal,
        now: datetime,
    ) -> Task:
        """Create a task inside the caller's transaction (incident locked)."""
        assignee, text = assignee.strip().lstrip("@"), text.strip()
        if not assignee:
            raise Invalid.field("assignee", "name who does it")
        if not text:
            raise Invalid.field("text", "say what to do")
        task = Task(
            incident_id=incident.id,
            assignee=assignee,
            text=text,
            status="assigned",
            created_at=now,
            created_by=actor.name,
            acknowledged_at=None,
            done_at=None,
        )
        session.add(task)
        session.flush()
        record(
            session,
            incident.id,
            now,
            actor.name,
            "task_assigned",
            {
                "task": task.id,
                "assignee": assignee,
                "text": text,
                "ask": f"@{assignee}, please {text}. Confirm?",
            },
        )
        return task

    def move_task(self, number: int, task_id: int, step: str, actor: Principal) -> Task:
        if step not in TASK_STEPS:
            raise Invalid.field("status", "must be acknowledged or done")

        def work(session: Session, incident: Incident, now: datetime) -> Task:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None or task.incident_id != incident.id:
                raise NotFound(f"incident #{number} has no task {task_id}")
            if task.status not in TASK_STEPS[step]:
                raise Conflict(f"task {task_id} is {task.status}; it cannot become {step}")
            task.status = step
            if step == "acknowledged":
                task.acknowledged_at = now
            else:
                task.done_at = now
            record(
                session,
                incident.id,
                now,
                actor.name,
                f"task_{step}",
                {"task": task.id, "assignee": task.assignee, "text": task.text},
            )
            return task

        task: Task = self._write(number, actor, work)
        return task

    def tasks(self, number: int, actor: Principal, open_only: bool = False) -> list[Task]:
        self.incidents.get(number, actor)
        with reading(self.sessions) as session:
            query = select(Task).where(Task.incident_id == number)
            if open_only:
                query = query.where(Task.status != "done")
            return list(session.scalars(query.order_by(Task.id)))

    # --- decisions ----------------------------------------------------------------------

    def decide(
        self,
        number: int,
        options: list[str],
        choice: str,
        made_by: str | None,
        rationale: str | None,
        actor: Principal,
    ) -> None:
        options = [o.strip() for o in options if o.strip()]
        if len(options) < 2:
            raise Invalid.field("options", "list the options considered (at least two)")
        if choice not in options:
            raise Invalid.field("choice", "must be one of the options")

        def work(session: Session, incident: Incident, now: datetime) -> None:
            record(
                session,
                incident.id,
                now,
                actor.name,
                "decision",
                {
                    "options": options,
                    "choice": choice,
                    "made_by": made_by or actor.name,
                    "rationale": rationale,
                },
            )

        self._write(number, actor, work)
