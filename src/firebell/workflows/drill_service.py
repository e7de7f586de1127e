"""Drills in storage: start one from a playbook scenario, list them, score them, report
them; and the programme of planned drills."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.principal import Principal
from firebell.errors import Invalid, NotFound
from firebell.incidents.base import OnIncidents
from firebell.incidents.service import Declaration
from firebell.playbook.schema import DrillScenario
from firebell.store.models import Incident, TimelineEvent
from firebell.workflows import drill_report, drill_schedule, drills, runbook
from firebell.workflows.drill_report import DrillReport
from firebell.workflows.drill_schedule import UpcomingDrill
from firebell.workflows.drills import DrillScore, TimelineItem

MAX_SCHEDULE_DAYS = 5 * 366


class Drills(OnIncidents):
    def scenario(self, scenario_id: str) -> DrillScenario:
        found = next((d for d in self.playbook.drills.scenarios if d.id == scenario_id), None)
        if found is None:
            known = ", ".join(d.id for d in self.playbook.drills.scenarios)
            raise Invalid.field("scenario", f"unknown scenario '{scenario_id}'; known: {known}")
        return found

    def start(self, scenario_id: str, participants: Sequence[str], actor: Principal) -> Incident:
        """Declare the scenario as a drill incident that reaches only its participants."""
        scenario = self.scenario(scenario_id)
        people = {p.id for p in self.playbook.people}
        chosen = list(dict.fromkeys(p.strip() for p in participants if p.strip()))
        if not chosen:
            raise Invalid.field("participants", "a drill needs at least one participant")
        unknown = [p for p in chosen if p not in people]
        if unknown:
            raise Invalid.field(
                "participants", f"not in the playbook's people: {', '.join(unknown)}"
            )
        declaration = Declaration(
            title=drills.marked(scenario.name),
            severity=scenario.severity,
            service=scenario.service,
            summary=scenario.description,
            private=scenario.private,
            drill=True,
            drill_scenario=scenario.id,
            drill_participants=tuple(chosen),
        )
        return self.incidents.declare(declaration, actor)

    def history(self, actor: Principal) -> list[DrillScore]:
        with self.sessions() as session:
            rows = session.scalars(
                select(Incident)
                .where(Incident.drill.is_(True), self.incidents.visible_clause(actor))
                .order_by(Incident.id.desc())
            ).all()
            return [self._score(session, r) for r in rows]

    def report(self, number: int, actor: Principal) -> DrillScore:
        with self.sessions() as session:
            incident = self.incidents.get_in(session, number, actor)
            if not incident.drill:
                raise NotFound(f"incident #{number} is not a drill")
            return self._score(session, incident)

    def report_detail(self, number: int, actor: Principal) -> DrillReport:
        """The score with the timings, checkpoints and runbook steps behind it."""
        with self.sessions() as session:
            incident = self.incidents.get_in(session, number, actor)
            if not incident.drill:
                raise NotFound(f"incident #{number} is not a drill")
            score = self._score(session, incident)
            events = [
                runbook.Event(e.kind, e.at, e.actor, e.details)
                for e in self._events(session, incident)
            ]
            return drill_report.build(
                score,
                title=incident.title,
                scenario_name=self.scenario_name(incident.drill_scenario),
                status=incident.status,
                ended_at=incident.resolved_at,
                events=events,
            )

    def scenario_name(self, scenario_id: str | None) -> str:
        found = next((d for d in self.playbook.drills.scenarios if d.id == scenario_id), None)
        return found.name if found else (scenario_id or "drill")

    def schedule(self, days: int = 366) -> list[UpcomingDrill]:
        """The planned drills of the next `days` days, earliest first."""
        if not 1 <= days <= MAX_SCHEDULE_DAYS:
            raise Invalid.field("days", f"give a number of days from 1 to {MAX_SCHEDULE_DAYS}")
        now = self.clock.now()
        return drill_schedule.upcoming(self.playbook, now, until=now + timedelta(days=days))

    def _events(self, session: Session, incident: Incident) -> list[TimelineEvent]:
        return list(
            session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident.id)
                .order_by(TimelineEvent.at, TimelineEvent.id)
            )
        )

    def _score(self, session: Session, incident: Incident) -> DrillScore:
        events = self._events(session, incident)
        return drills.score(
            self.playbook,
            incident=incident.id,
            scenario=incident.drill_scenario,
            severity=incident.severity,
            participants=incident.drill_participants or [],
            declared_at=incident.declared_at,
            ended_at=incident.resolved_at or self.clock.now(),
            events=[TimelineItem(e.kind, e.at, e.details) for e in events],
        )
