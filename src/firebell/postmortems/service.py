"""Post-mortems in storage: created on resolve (or on demand), edited, reviewed, signed
off and published; deadlines and reminders as timers; the review meeting's invitation.

Every change writes a timeline event with its author, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.comms.guard import customer_leaks
from firebell.errors import Conflict, Invalid, NotFound
from firebell.incidents.base import OnIncidents
from firebell.incidents.lifecycle import Change
from firebell.incidents.service import IncidentService, record
from firebell.playbook.schema import Person, Playbook
from firebell.postmortems import rules
from firebell.postmortems.draft import DraftFacts, KeyEvent, key_event, render_draft
from firebell.postmortems.models import Postmortem
from firebell.store.db import transaction
from firebell.store.models import (
    Alert,
    Incident,
    PublicUpdate,
    RoleAssignment,
    Task,
    TimelineEvent,
    Timer,
)
from firebell.store.outbox import enqueue, tell

ACTOR = "firebell"
KIND = "postmortem_due"
MAX_BODY = 200_000


@dataclass(frozen=True)
class Edit:
    """A PUT: any field left None is kept. `revision` (if given) must be the current one."""

    body: str | None = None
    state: str | None = None
    author: str | None = None
    public_summary: str | None = None
    revision: int | None = None


class Postmortems(OnIncidents):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        incidents: IncidentService,
        organizer: Callable[[], str] = lambda: "firebell@localhost",
    ) -> None:
        super().__init__(sessions, clock, playbook, incidents)
        self.organizer = organizer

    # --- creation ---------------------------------------------------------------------

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        """Resolving an incident whose severity requires a post-mortem starts one."""
        if change.kind != "resolved" or incident.drill:
            return
        if not rules.required(self.playbook, incident.severity):
            return
        if session.get(Postmortem, incident.id) is None:
            self._create_in(session, incident, ACTOR, now)

    def create(self, number: int, actor: Principal) -> Postmortem:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self.incidents._locked(session, number, actor)
            if session.get(Postmortem, number) is not None:
                raise Conflict(f"incident #{number} already has a post-mortem")
            return self._create_in(session, incident, actor.name, now)

    def _create_in(
        self, session: Session, incident: Incident, actor: str, now: datetime
    ) -> Postmortem:
        pb = self.playbook
        reviewers = rules.reviewers_for(pb, incident.severity)
        author = incident.commander or incident.created_by
        facts = self._facts(session, incident, author, reviewers)
        due = rules.due_at(pb, incident.severity, incident.resolved_at or now)
        postmortem = Postmortem(
            incident_id=incident.id,
            state="draft",
            author=author,
            body=render_draft(pb.postmortems.template, facts),
            public_summary=None,
            reviewers=reviewers,
            signoffs={},
            revision=1,
            due_at=due,
            created_at=now,
            updated_at=now,
            published_at=None,
            meeting_invitees=[],
            meeting_attended=[],
        )
        session.add(postmortem)
        if due is not None:
            for at in rules.reminder_times(now, due):
                self._timer(session, incident.id, at, "reminder", now)
            self._timer(session, incident.id, due, "overdue", now)
        record(
            session,
            incident.id,
            now,
            actor,
            "postmortem_created",
            {"author": author, "due_at": due.isoformat() if due else None, "reviewers": reviewers},
        )
        session.flush()
        return postmortem

    @staticmethod
    def _timer(session: Session, number: int, at: datetime, stage: str, now: datetime) -> None:
        session.add(
            Timer(
                kind=KIND,
                due_at=at,
                status="pending",
                incident_id=number,
                generation=0,
                payload={"stage": stage},
                created_at=now,
            )
        )

    def _facts(
        self, session: Session, incident: Incident, author: str, reviewers: list[str]
    ) -> DraftFacts:
        events: list[KeyEvent] = []
        decisions: list[str] = []
        for event in session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .order_by(TimelineEvent.at, TimelineEvent.id)
        ):
            row = key_event(event.kind, {"severity": incident.severity, **event.details}, event.at)
            if row is not None:
                events.append(row)
            if event.kind == "decision":
                d = event.details
                decisions.append(
                    f"{d.get('made_by')}: {d.get('choice')} (options: "
                    f"{', '.join(d.get('options', []))})"
                    + (f"; {d['rationale']}" if d.get("rationale") else "")
                )
        for update_row in session.scalars(
            select(PublicUpdate).where(PublicUpdate.incident_id == incident.id)
        ):
            events.append(KeyEvent(update_row.created_at, f"Public update ({update_row.status})"))
        people = [
            (r.person, r.role)
            for r in session.scalars(
                select(RoleAssignment).where(RoleAssignment.incident_id == incident.id)
            )
        ]
        if incident.commander and (incident.commander, "ic") not in people:
            people.insert(0, (incident.commander, "incident commander"))
        if incident.acknowledged_by:
            people.append((incident.acknowledged_by, "acknowledged"))
        alerts = [
            f"{a.integration}: {a.summary} ({a.events} events, first {a.first_seen_at:%H:%M})"
            for a in session.scalars(select(Alert).where(Alert.incident_id == incident.id))
        ]
        tasks = [
            f"@{t.assignee}: {t.text} ({t.status})"
            for t in session.scalars(select(Task).where(Task.incident_id == incident.id))
        ]
        return DraftFacts(
            number=incident.id,
            title=incident.title,
            severity=incident.severity,
            service=incident.service,
            author=author,
            reviewers=reviewers,
            declared_at=incident.declared_at,
            detected_at=incident.detected_at,
            impact_started_at=incident.impact_started_at,
            acknowledged_at=incident.acknowledged_at,
            resolved_at=incident.resolved_at,
            people=people,
            events=events,
            alerts=alerts,
            decisions=decisions,
            tasks=tasks,
        )

    # --- reading and editing --------------------------------------------------------------

    def get(self, number: int, actor: Principal) -> tuple[Incident, Postmortem]:
        with self.sessions() as session:
            incident = self.incidents.visible(session, session.get(Incident, number), number, actor)
            postmortem = session.get(Postmortem, number)
            if postmortem is None:
                raise NotFound(
                    f"incident #{number} has no post-mortem yet; create one with "
                    f"POST /api/v1/incidents/{number}/postmortem"
                )
            return incident, postmortem

    def _write(
        self,
        number: int,
        actor: Principal,
        work: Callable[[Session, Incident, Postmortem, datetime], None],
    ) -> Postmortem:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = self.incidents._locked(session, number, actor)
            postmortem = session.get(Postmortem, number, with_for_update=True)
            if postmortem is None:
                raise NotFound(f"incident #{number} has no post-mortem yet")
            work(session, incident, postmortem, now)
            postmortem.revision += 1
            postmortem.updated_at = now
            session.flush()
            return postmortem

    def update(self, number: int, edit: Edit, actor: Principal) -> Postmortem:
        if edit.body is not None and len(edit.body) > MAX_BODY:
            raise Invalid.field("body", f"at most {MAX_BODY} characters")

        def work(session: Session, incident: Incident, pm: Postmortem, now: datetime) -> None:
            if edit.revision is not None and edit.revision != pm.revision:
                raise Conflict(
                    f"the post-mortem changed since revision {edit.revision} (it is now "
                    f"{pm.revision}); reload it and apply your edit again"
                )
            if pm.state == "published" and (edit.body is not None or edit.author is not None):
                raise Conflict("a published post-mortem is final")
            changed: dict[str, object] = {}
            if edit.body is not None and edit.body != pm.body:
                pm.body = edit.body
                changed["body"] = len(edit.body)
                if pm.signoffs:  # reviewers signed what they read, not this
                    pm.signoffs = {}
                    changed["signoffs_cleared"] = True
            if edit.author is not None and edit.author != pm.author:
                changed["author"] = {"from": pm.author, "to": edit.author}
                pm.author = edit.author
            if edit.public_summary is not None:
                pm.public_summary = edit.public_summary
                changed["public_summary"] = True
            if changed:
                record(session, incident.id, now, actor.name, "postmortem_edited", changed)
            if edit.state is not None and edit.state != pm.state:
                self._move(session, incident, pm, edit.state, actor.name, now)

        return self._write(number, actor, work)

    def _move(
        self,
        session: Session,
        incident: Incident,
        pm: Postmortem,
        target: str,
        actor: str,
        now: datetime,
    ) -> None:
        rules.check_transition(pm.state, target)
        if target == "published":
            missing = rules.missing_signoffs(pm.reviewers, pm.signoffs)
            if missing:
                raise Conflict(f"not signed off yet by: {', '.join(missing)}")
            pm.published_at = now
            self._cancel_timers(session, incident.id)
            self._publish_summary(session, incident, pm, actor, now)
        record(
            session, incident.id, now, actor, "postmortem_state", {"from": pm.state, "to": target}
        )
        pm.state = target

    def _publish_summary(
        self, session: Session, incident: Incident, pm: Postmortem, actor: str, now: datetime
    ) -> None:
        """The public summary becomes the status page incident's `postmortem` update,
        where the playbook lets this severity reach the status page."""
        policy = self.playbook.severity(incident.severity).status_page
        if not pm.public_summary or incident.private or policy.required == "never":
            return
        found = customer_leaks(pm.public_summary, self.playbook.communications)
        if found:
            raise Invalid.field(
                "public_summary",
                "contains " + ", ".join(f"'{f}'" for f in found) + ", which must not reach "
                "the public status page",
            )
        session.add(
            PublicUpdate(
                incident_id=incident.id,
                status="postmortem",
                impact=policy.impact,
                title=incident.title,
                body=pm.public_summary,
                created_at=now,
                created_by=actor,
            )
        )
        record(session, incident.id, now, actor, "postmortem_summary_published", {})

    @staticmethod
    def _cancel_timers(session: Session, number: int) -> None:
        session.execute(
            update(Timer)
            .where(Timer.incident_id == number, Timer.kind == KIND, Timer.status == "pending")
            .values(status="cancelled")
        )

    def sign_off(self, number: int, reviewer: str, actor: Principal) -> Postmortem:
        def work(session: Session, incident: Incident, pm: Postmortem, now: datetime) -> None:
            if pm.state != "in_review":
                raise Conflict(f"sign-off happens in review; the post-mortem is {pm.state}")
            if reviewer not in pm.reviewers:
                raise Invalid.field("reviewer", f"must be one of {', '.join(pm.reviewers)}")
            pm.signoffs = {**pm.signoffs, reviewer: {"by": actor.name, "at": now.isoformat()}}
            record(
                session,
                incident.id,
                now,
                actor.name,
                "postmortem_signed_off",
                {"reviewer": reviewer},
            )

        return self._write(number, actor, work)

    # --- the review meeting ---------------------------------------------------------------

    def schedule_meeting(
        self,
        number: int,
        actor: Principal,
        at: datetime | None = None,
        invitees: list[str] | None = None,
    ) -> Postmortem:
        def work(session: Session, incident: Incident, pm: Postmortem, now: datetime) -> None:
            if incident.resolved_at is None:
                raise Conflict(f"incident #{number} is not resolved yet")
            start = at or rules.propose_meeting(
                incident.resolved_at, self.playbook.organization.timezone
            )
            rules.check_meeting(incident.resolved_at, start)
            people = invitees if invitees is not None else self._participants(session, incident)
            unknown = [p for p in people if self._person(p) is None]
            if unknown:
                raise Invalid.field("invitees", f"unknown people: {', '.join(unknown)}")
            minutes = int(self.playbook.postmortems.meeting.duration.approx().total_seconds() // 60)
            pm.meeting_at, pm.meeting_minutes, pm.meeting_invitees = start, minutes, people
            sent = self._invite(session, incident, pm, now)
            record(
                session,
                incident.id,
                now,
                actor.name,
                "postmortem_meeting_scheduled",
                {"at": start.isoformat(), "invitees": people, "invitations": sent},
            )

        return self._write(number, actor, work)

    def _participants(self, session: Session, incident: Incident) -> list[str]:
        """The commander, everyone who held a role, the acknowledger, and the lead of the
        service's owning team: the seed's attendees."""
        names = [incident.commander, incident.acknowledged_by, incident.created_by]
        names += list(
            session.scalars(
                select(RoleAssignment.person).where(RoleAssignment.incident_id == incident.id)
            )
        )
        service = self.playbook.service(incident.service) if incident.service else None
        team = next(
            (t for t in self.playbook.teams if service and t.id == service.owner_team), None
        )
        if team is not None and team.lead:
            names.append(team.lead)
        seen: list[str] = []
        for name in names:
            if name and self._person(name) is not None and name not in seen:
                seen.append(name)
        return seen

    def _person(self, person_id: str) -> Person | None:
        return next((p for p in self.playbook.people if p.id == person_id), None)

    def _invite(self, session: Session, incident: Incident, pm: Postmortem, now: datetime) -> int:
        assert pm.meeting_at is not None and pm.meeting_minutes is not None
        from firebell.postmortems.invite import invitation  # icalendar: only when inviting

        people = [p for p in (self._person(i) for i in pm.meeting_invitees) if p and p.email]
        agenda = "\n".join(f"- {item}" for item in self.playbook.postmortems.meeting.agenda)
        title = f"Post-mortem review: #{incident.id} {incident.title}"
        ics = invitation(
            uid=f"postmortem-{incident.id}-{pm.revision}@firebell",
            title=title,
            start=pm.meeting_at,
            minutes=pm.meeting_minutes,
            organizer=self.organizer(),
            attendees=[p.email for p in people if p.email],
            description=f"Blameless review of incident #{incident.id}.\n\nAgenda:\n{agenda}",
            stamp=now,
        ).decode()
        body = (
            f"{title}\n\nWhen: {pm.meeting_at:%Y-%m-%d %H:%M} UTC "
            f"({pm.meeting_minutes} minutes)\n\nAgenda:\n{agenda}\n"
        )
        attachment = {
            "filename": "invite.ics",
            "content_type": "text/calendar",
            "params": {"method": "REQUEST"},
            "text": ics,
        }
        for person in people:
            assert person.email is not None
            enqueue(
                session,
                purpose="postmortem_meeting",
                method="email",
                address=person.email,
                subject=title,
                body=body,
                dedupe_key=f"pm-meeting:{incident.id}:{pm.revision}:{person.id}",
                now=now,
                incident=incident,
                person=person.id,
                payload={"attachments": [attachment]},
            )
        return len(people)

    def record_meeting(
        self, number: int, attended: list[str], notes: str, actor: Principal
    ) -> Postmortem:
        def work(session: Session, incident: Incident, pm: Postmortem, now: datetime) -> None:
            if pm.meeting_at is None:
                raise Conflict("no review meeting is scheduled")
            pm.meeting_attended, pm.meeting_notes = attended, notes
            record(
                session,
                incident.id,
                now,
                actor.name,
                "postmortem_meeting_held",
                {"attended": attended},
            )

        return self._write(number, actor, work)

    # --- deadlines ------------------------------------------------------------------------

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        pm = session.get(Postmortem, timer.incident_id)
        incident = session.get(Incident, timer.incident_id)
        if pm is None or incident is None or pm.state == "published":
            return
        overdue = timer.payload.get("stage") == "overdue"
        kind = "postmortem_overdue" if overdue else "postmortem_reminder"
        due = pm.due_at.isoformat() if pm.due_at else None
        people = [self._person(pm.author)]
        if overdue:
            people += [self._person(p) for p in self._next_level(incident)]
        told = []
        for person in people:
            if person is None or person.id in told:
                continue
            text = (
                f"The post-mortem of incident #{incident.id} ({incident.severity}: "
                f"{incident.title}) is {'overdue' if overdue else 'due'} "
                f"({due}); it is {pm.state}. Edit it with: firebell postmortem edit "
                f"{incident.id}"
            )
            if tell(
                session,
                person,
                purpose="reminder",
                subject=f"[firebell] {kind.replace('_', ' ')} #{incident.id}",
                body=text,
                key=f"{kind}:{incident.id}:{timer.id}",
                now=now,
                incident=incident,
            ):
                told.append(person.id)
        record(session, incident.id, now, ACTOR, kind, {"due_at": due, "told": told})

    def _next_level(self, incident: Incident) -> list[str]:
        """Who hears of an overdue post-mortem: the lead of the service's owning team,
        else the on-call admins."""
        service = self.playbook.service(incident.service) if incident.service else None
        for team in self.playbook.teams:
            if service and team.id == service.owner_team and team.lead:
                return [team.lead]
        return list(self.playbook.on_call.admins)
