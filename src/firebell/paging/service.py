"""Paging in storage: start, step, stop. Every decision writes its timeline event,
its outbox messages and its next timer in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, select, update
from sqlalchemy.orm import Session

from firebell import oncall
from firebell.incidents.lifecycle import Change
from firebell.incidents.service import record
from firebell.paging import page_text
from firebell.paging.policy import (
    PlannedPage,
    PolicySnapshot,
    Reach,
    delay_before,
    next_step,
    plan_level,
    plan_person,
    snapshot,
    urgency_of,
)
from firebell.paging.schedules import on_call
from firebell.playbook.schema import Playbook
from firebell.store.models import (
    Escalation,
    Incident,
    Message,
    RoundRobinPosition,
    ScheduleOverride,
    Timer,
)
from firebell.store.outbox import enqueue, tell
from firebell.workflows import drills

ACTOR = "firebell"


def overrides_for(session: Session, schedule_id: str, at: datetime) -> list[oncall.Override]:
    rows = session.scalars(
        select(ScheduleOverride).where(
            ScheduleOverride.schedule == schedule_id,
            ScheduleOverride.start_at <= at,
            ScheduleOverride.end_at > at,
        )
    )
    return [oncall.Override(str(r.id), r.person, r.start_at, r.end_at, r.created_at) for r in rows]


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _cancel_timers(session: Session, incident_id: int) -> None:
    """Cancel the incident's pending escalation timers.

    FIX (deadlock with the engine on PostgreSQL): the engine row-locks due timers and
    then waits for this incident's locks, which an ack, resolve or manual escalation
    already holds; a plain UPDATE of those timers waited for the engine in turn, and
    PostgreSQL aborted one side (typically the acknowledge). Timers the engine holds are
    skipped: the generation bumped by the caller fences them, so they fire as no-ops.
    """
    ids = select(Timer.id).where(
        Timer.incident_id == incident_id,
        Timer.status == "pending",
        Timer.kind == "escalate",
    )
    free = list(session.scalars(ids.with_for_update(skip_locked=True)))
    if free:
        session.execute(update(Timer).where(Timer.id.in_(free)).values(status="cancelled"))


def _new_escalation(
    session: Session,
    incident: Incident,
    policy: PolicySnapshot,
    state: str,
    level: int,
    now: datetime,
) -> Escalation:
    """The incident's paging state, with the policy snapshotted as it is now."""
    escalation = Escalation(
        incident_id=incident.id,
        policy_id=policy.id,
        policy=policy.to_json(),
        urgency=urgency_of(incident.severity),
        level=level,
        pass_number=0,
        generation=0,
        state=state,
        started_at=now,
        updated_at=now,
    )
    session.add(escalation)
    session.flush()
    return escalation


@dataclass(frozen=True)
class Step:
    """One activation of a level: where in the policy, and how it is labelled."""

    level: int
    pass_number: int
    key_prefix: str = "page"
    event: str = "level_paged"
    purpose: str = "page"

    def where(self, level_name: str) -> dict[str, Any]:
        return {"level": self.level + 1, "level_name": level_name, "pass": self.pass_number + 1}


def _queue(
    session: Session,
    incident: Incident,
    page: PlannedPage,
    *,
    purpose: str,
    key: str,
    body: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """One planned page into the outbox."""
    enqueue(
        session,
        purpose=purpose,
        method=page.method,
        address=page.address,
        subject=page_text.page_subject(incident),
        body=body,
        dedupe_key=key,
        now=now,
        incident=incident,
        person=page.person,
        payload=payload,
        not_before=now + page.delay,
        example=page.example,
    )


class Pager:
    def __init__(self, playbook: Callable[[], Playbook], methods: Callable[[], set[str]]) -> None:
        # Callables, so a reloaded playbook or a newly configured channel is seen at once.
        self._playbook = playbook
        self._methods = methods

    @property
    def playbook(self) -> Playbook:
        return self._playbook()

    # --- incident hooks --------------------------------------------------------------

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        if change.kind == "declared":
            if self.playbook.severity(incident.severity).paging in ("page", "notify"):
                self.start(session, incident, now)
        elif change.kind == "acknowledged":
            self.stop(session, incident, "acknowledged", now)
        elif change.kind in ("resolved", "closed"):
            self.stop(session, incident, change.kind, now)
        elif change.kind == "severity_changed" and change.details.get("direction") == "escalated":
            wants_page = self.playbook.severity(incident.severity).paging == "page"
            if wants_page and incident.acknowledged_at is None:
                existing = session.get(Escalation, incident.id)
                if existing is None or existing.state != "active":
                    self.start(session, incident, now)

    # --- decisions with side effects ----------------------------------------------------

    def policy_for(self, incident: Incident) -> PolicySnapshot:
        if incident.drill and incident.drill_participants:
            return drills.participant_policy(incident.drill_participants)
        pb = self.playbook
        policy_id = pb.escalation.default_policy
        service = pb.service(incident.service) if incident.service else None
        if incident.private and pb.escalation.security_policy:
            policy_id = pb.escalation.security_policy
        elif service is not None and service.escalation_policy:
            policy_id = service.escalation_policy
        policy = next(p for p in pb.escalation_policies if p.id == policy_id)
        return snapshot(policy)

    def start(self, session: Session, incident: Incident, now: datetime) -> Escalation:
        policy = self.policy_for(incident)
        severity = self.playbook.severity(incident.severity)
        urgency = urgency_of(incident.severity)
        escalation = session.get(Escalation, incident.id, with_for_update=True)
        if escalation is None:
            escalation = _new_escalation(session, incident, policy, "active", 0, now)
        else:  # restarted, e.g. after an escalation of severity
            escalation.policy_id, escalation.policy = policy.id, policy.to_json()
            escalation.urgency, escalation.state = urgency, "active"
            escalation.level, escalation.pass_number = 0, 0
            escalation.generation += 1
            escalation.updated_at = now
        session.flush()
        record(
            session,
            incident.id,
            now,
            ACTOR,
            "paging_started",
            {"policy": policy.id, "urgency": urgency, "mode": severity.paging},
        )
        if severity.paging == "notify":
            # P2: tell the first level once, no escalation.
            self._activate(session, escalation, incident, policy, 0, 0, now, schedule_next=False)
            escalation.state = "notified"
            return escalation
        immediate = sorted({lv - 1 for lv in severity.page_levels if 0 < lv <= len(policy.levels)})
        for level in immediate[:-1]:
            self._activate(
                session, escalation, incident, policy, level, 0, now, schedule_next=False
            )
        last = immediate[-1] if immediate else 0
        # Levels paged at once keep the matrix's clock: with primary and secondary paged
        # at T+0 for a P0, the team lead is still due at T+15 (0 + 5 + 10), not T+10.
        on_schedule = now + sum((lv.delay for lv in policy.levels[1 : last + 1]), timedelta(0))
        self._activate(session, escalation, incident, policy, last, 0, now, due=on_schedule)
        return escalation

    def _activate(
        self,
        session: Session,
        escalation: Escalation,
        incident: Incident,
        policy: PolicySnapshot,
        level: int,
        pass_number: int,
        now: datetime,
        *,
        schedule_next: bool = True,
        due: datetime | None = None,
    ) -> None:
        """Page one level; then schedule the next (or, with nobody on call, go on at once)."""
        while True:
            escalation.level, escalation.pass_number = level, pass_number
            escalation.updated_at = now
            paged = self._page_level(
                session, escalation, incident, policy, Step(level, pass_number), now
            )
            step = next_step(policy, level, pass_number)
            if not schedule_next:
                return
            if step is None:
                escalation.state = "exhausted"
                record(
                    session,
                    incident.id,
                    now,
                    ACTOR,
                    "paging_exhausted",
                    {"policy": policy.id, "activations": policy.activations},
                )
                return
            if paged:
                base = due or now
                next_due = max(now, base + delay_before(policy, *step))
                session.add(
                    Timer(
                        kind="escalate",
                        due_at=next_due,
                        status="pending",
                        incident_id=incident.id,
                        generation=escalation.generation,
                        payload={"level": step[0], "pass": step[1]},
                        created_at=now,
                    )
                )
                return
            level, pass_number = step  # nobody on call here: next level at once

    def _page_level(
        self,
        session: Session,
        escalation: Escalation,
        incident: Incident,
        policy: PolicySnapshot,
        step: Step,
        now: datetime,
    ) -> bool:
        """Plan the level (pure), then apply the plan: its pages, its round-robin turn and
        its timeline event. A level that reaches nobody is 'nobody on call'."""
        spec = policy.levels[step.level]
        candidates = self._resolve_targets(session, spec.targets, now)
        key = f"{policy.id}:{step.level}"
        position_row = session.get(RoundRobinPosition, key, with_for_update=True)
        position = position_row.position if position_row else 0
        plan = plan_level(spec, candidates, position, self._reach(), escalation.urgency)
        if spec.strategy == "round_robin" and plan.people:
            if position_row is None:
                session.add(RoundRobinPosition(key=key, position=plan.position))
            else:
                position_row.position = plan.position
        where = step.where(spec.name)
        details = {**where, "people": list(plan.people), "skipped": list(plan.unreachable)}
        if not plan.reaches_anyone:
            targets = [list(t) for t in spec.targets]
            record(
                session, incident.id, now, ACTOR, "nobody_on_call", {**details, "targets": targets}
            )
            self._tell_admins(session, escalation, incident, spec.name, where, now)
            return False
        for page in plan.pages:
            _queue(
                session,
                incident,
                page,
                purpose=step.purpose,
                key=f"{step.key_prefix}:{incident.id}:{escalation.generation}:"
                f"{step.pass_number}:{step.level}:{page.person}:{page.method}:{page.rule}",
                body=page_text.page_body(incident, spec.name),
                payload=where,
                now=now,
            )
        record(
            session, incident.id, now, ACTOR, step.event, {**details, "deliveries": plan.deliveries}
        )
        return True

    def _reach(self) -> Reach:
        pb = self.playbook
        return Reach(
            {p.id: p for p in pb.people}, pb.on_call.default_notification_rules, self._methods()
        )

    def resolve(self, session: Session, kind: str, target_id: str, now: datetime) -> list[str]:
        """The people a person, team or schedule target names at ``now``."""
        return self._resolve_targets(session, ((kind, target_id),), now)

    def _resolve_targets(
        self, session: Session, targets: tuple[tuple[str, str], ...], now: datetime
    ) -> list[str]:
        pb = self.playbook
        people: list[str] = []
        for kind, target_id in targets:
            if kind == "person":
                people.append(target_id)
            elif kind == "team":
                team = next((t for t in pb.teams if t.id == target_id), None)
                if team is not None:
                    people += team.members or ([team.lead] if team.lead else [])
            else:
                who = on_call(pb, target_id, now, overrides_for(session, target_id, now))
                if who is not None:
                    people.append(who)
        return people

    def _tell_admins(
        self,
        session: Session,
        escalation: Escalation,
        incident: Incident,
        level_name: str,
        where: dict[str, Any],
        now: datetime,
    ) -> None:
        people = {p.id: p for p in self.playbook.people}
        available = self._methods()
        for admin_id in self.playbook.on_call.admins:
            admin = people.get(admin_id)
            if admin is None:
                continue
            tell(
                session,
                admin,
                purpose="admin",
                subject=f"[firebell] nobody on call for {level_name} (#{incident.id})",
                body=page_text.nobody_body(incident, level_name),
                key=f"nobody:{incident.id}:{escalation.generation}:{where['pass']}:"
                f"{where['level']}",
                now=now,
                incident=incident,
                payload=where,
                available=available,
            )

    def stop(self, session: Session, incident: Incident, reason: str, now: datetime) -> None:
        escalation = session.get(Escalation, incident.id, with_for_update=True)
        if escalation is None:
            return
        was_active = escalation.state == "active"
        escalation.state = reason
        escalation.generation += 1  # fences every timer already scheduled
        escalation.updated_at = now
        cancelled = _rowcount(
            session.execute(
                update(Message)
                .where(
                    Message.incident_id == incident.id,
                    Message.status == "pending",
                    Message.purpose.in_(("page", "admin")),
                )
                .values(status="cancelled")
            )
        )
        _cancel_timers(session, incident.id)
        if was_active or cancelled:
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "paging_stopped",
                {"reason": reason, "cancelled_messages": cancelled},
            )

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        """An escalation timer is due: page its level unless it has been fenced off."""
        assert timer.incident_id is not None
        # FIX (deadlock with acknowledge on PostgreSQL): lock the incident before its
        # escalation, in the order every incident change (ack, resolve, escalate) takes
        # them. Locking the escalation first and then inserting rows that reference the
        # incident (a key-share lock) could deadlock with an ack holding the incident.
        incident = session.get(Incident, timer.incident_id, with_for_update=True)
        assert incident is not None
        escalation = session.get(Escalation, timer.incident_id, with_for_update=True)
        if escalation is None or escalation.state != "active":
            return
        if escalation.generation != timer.generation:
            return  # stale: paging was stopped or restarted after this timer was set
        policy = PolicySnapshot.from_json(escalation.policy)
        self._activate(
            session,
            escalation,
            incident,
            policy,
            timer.payload["level"],
            timer.payload["pass"],
            now,
            due=timer.due_at,
        )

    def escalate(
        self, session: Session, incident: Incident, level: int | None, actor: str, now: datetime
    ) -> int:
        """Page a level now (default: the next one) and continue the policy from there."""
        escalation = session.get(Escalation, incident.id, with_for_update=True)
        policy = (
            PolicySnapshot.from_json(escalation.policy) if escalation else self.policy_for(incident)
        )
        if level is None:
            current = escalation.level if escalation else -1
            target = min(current + 1, len(policy.levels) - 1)
        else:
            if not 1 <= level <= len(policy.levels):
                from firebell.errors import Invalid

                raise Invalid.field("level", f"must be between 1 and {len(policy.levels)}")
            target = level - 1
        if escalation is None:
            escalation = _new_escalation(session, incident, policy, "active", target, now)
        else:
            escalation.generation += 1
            escalation.state = "active"
            _cancel_timers(session, incident.id)
        record(
            session,
            incident.id,
            now,
            actor,
            "escalated_manually",
            {"level": target + 1, "level_name": policy.levels[target].name},
        )
        self._activate(session, escalation, incident, policy, target, escalation.pass_number, now)
        return target + 1

    def notify_next_level(
        self, session: Session, incident: Incident, reason: str, now: datetime
    ) -> int:
        """Page the level after the current one once (e.g. an SLA breach), without
        restarting the policy or touching an acknowledged escalation's state."""
        escalation = session.get(Escalation, incident.id, with_for_update=True)
        policy = (
            PolicySnapshot.from_json(escalation.policy) if escalation else self.policy_for(incident)
        )
        if escalation is None:
            escalation = _new_escalation(session, incident, policy, "notified", -1, now)
        target = min(escalation.level + 1, len(policy.levels) - 1)
        step = Step(
            target,
            escalation.pass_number,
            key_prefix=f"notify-{reason}-{now.timestamp():.0f}",
            event="level_notified",
            purpose="sla",
        )
        self._page_level(session, escalation, incident, policy, step, now)
        return target + 1

    def reassign(
        self, session: Session, incident: Incident, person_id: str, actor: str, now: datetime
    ) -> int:
        """Hand the incident to one person: the policy stops (pending pages cancelled) and
        that person is paged by their own notification rules. Returns deliveries queued."""
        from firebell.errors import Invalid

        person = next((p for p in self.playbook.people if p.id == person_id), None)
        if person is None:
            raise Invalid.field("person", f"'{person_id}' is not in the playbook's people")
        if session.get(Escalation, incident.id) is not None:
            self.stop(session, incident, "reassigned", now)
        return self.page_people(
            session, incident, [person.id], f"reassigned by {actor}", actor, now, "reassigned"
        )

    def page_people(
        self,
        session: Session,
        incident: Incident,
        people: list[str],
        why: str,
        actor: str,
        now: datetime,
        event: str = "people_paged",
    ) -> int:
        """Page these people by their own notification rules, beside any running policy
        (a reassignment, or a subject-matter expert a runbook calls in). Returns the
        deliveries queued; the timeline says who was reached and how, and what was not."""
        escalation = session.get(Escalation, incident.id, with_for_update=True)
        generation = escalation.generation if escalation else 0
        reach = self._reach()
        known = reach.people
        reached: list[str] = []
        skipped = [f"{p}: not in the playbook's people" for p in people if p not in known]
        prefix = "reassign" if event == "reassigned" else event
        payload: dict[str, Any] = (
            {"reassigned_by": actor} if event == "reassigned" else {"paged_by": actor, "why": why}
        )
        for person in (known[p] for p in people if p in known):
            plan = plan_person(person, reach, urgency_of(incident.severity))
            for page in plan.pages:
                _queue(
                    session,
                    incident,
                    page,
                    purpose="page",
                    key=f"{prefix}:{incident.id}:{generation}:{now.timestamp():.0f}:{person.id}:"
                    f"{page.method}:{page.rule}",
                    body=page_text.page_body(incident, why),
                    payload=payload,
                    now=now,
                )
            reached += plan.deliveries
            skipped += list(plan.unreachable)
        details: dict[str, Any] = {
            "people": people,
            "why": why,
            "deliveries": reached,
            "skipped": skipped,
        }
        if event == "reassigned":
            details = {"to": people[0], "deliveries": reached, "skipped": skipped}
        record(session, incident.id, now, actor, event, details)
        return len(reached)
