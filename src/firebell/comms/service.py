"""Communications: render the playbook's templates for an incident, route them to
audiences, keep status-page updates, and remind people when an update is due.

Every send is one transaction: the rendered messages (outbox), the public update, the
timeline event and the next cadence deadline.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.clock import Clock
from firebell.comms import context as ctx
from firebell.comms.destinations import destination, variant_for
from firebell.comms.guard import customer_leaks
from firebell.comms.placeholders import blocking, render_showing_missing
from firebell.comms.render import TemplateProblem
from firebell.errors import Conflict, Forbidden, Invalid
from firebell.incidents.base import OnIncidents
from firebell.incidents.lifecycle import OPEN_STATUSES, Change
from firebell.incidents.service import IncidentService, record
from firebell.playbook.schema import Audience, Playbook, TemplateVariant
from firebell.store.db import transaction
from firebell.store.models import Incident, PublicUpdate, TimelineEvent, Timer
from firebell.store.outbox import enqueue, tell
from firebell.workflows import drills

ACTOR = "firebell"
# (session, incident, template, subject, body, now) -> messages queued, or why none
CustomerFanout = Callable[[Session, Incident, str, str, str, datetime], "int | str"]
CADENCE = "comms_due"
PUBLIC_STATUS = {"initial": "investigating", "resolution": "resolved"}


@dataclass(frozen=True)
class Rendered:
    family: str
    variant: str
    channel: str
    subject: str | None
    title: str | None
    body: str
    confidential: bool
    external: bool
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # shown as placeholders
    blocking: list[str] = field(default_factory=list)  # missing and required: no send


@dataclass
class SendResult:
    messages: int = 0
    public_updates: int = 0
    skipped: list[str] = field(default_factory=list)
    rendered: list[Rendered] = field(default_factory=list)


def _problem(exc: TemplateProblem) -> Invalid:
    return Invalid.field("template", str(exc))


class Comms(OnIncidents):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        incidents: IncidentService,
    ) -> None:
        super().__init__(sessions, clock, playbook, incidents)
        self.customer_fanout: CustomerFanout | None = None  # the status page's subscribers

    # --- rendering ------------------------------------------------------------------

    def _variant(self, family: str, variant: str) -> TemplateVariant:
        templates = self.playbook.communications.templates
        if family not in templates:
            raise Invalid.field(
                "template", f"no template family '{family}'; families: {', '.join(templates)}"
            )
        variants = templates[family].variants
        if variant not in variants:
            raise Invalid.field(
                "variant", f"'{family}' has no variant '{variant}'; variants: {', '.join(variants)}"
            )
        return variants[variant]

    def render_variant(
        self,
        incident: Incident,
        family: str,
        variant: str,
        fields: dict[str, Any],
        now: datetime,
        external: bool = False,
    ) -> Rendered:
        spec = self._variant(family, variant)
        if spec.body is None:
            raise Invalid.field(
                "variant",
                f"{family}.{variant} keeps its text in a file "
                "(template files are not supported yet)",
            )
        context = ctx.build(
            self.playbook,
            incident,
            now,
            self._next_update(incident, now),
            fields,
            as_resolved=family == "resolution",
        )
        name = f"{family}.{variant}"
        missing: list[str] = []

        def show(part: str, source: str) -> str:
            text, unknown = render_showing_missing(part, source, context)
            missing.extend(m for m in unknown if m not in missing)
            return text

        try:
            body = show(name, spec.body).strip("\n")
            subject = show(f"{name}.subject", spec.subject) if spec.subject else None
            title = show(f"{name}.title", spec.title) if spec.title else None
        except TemplateProblem as exc:
            raise _problem(exc) from None
        external = external or spec.channel in ("status_page", "customer_email")
        problems = []
        if external:
            text = "\n".join(filter(None, [subject, title, body]))
            found = customer_leaks(text, self.playbook.communications)
            problems = [
                f"contains '{snippet}', which must not reach customers" for snippet in found
            ]
        return Rendered(
            family,
            variant,
            spec.channel,
            subject,
            title,
            body,
            spec.confidential,
            external,
            problems,
            missing,
            blocking(missing, spec.required, external),
        )

    def preview(
        self,
        number: int,
        family: str,
        variant: str | None,
        fields: dict[str, Any],
        actor: Principal,
    ) -> list[Rendered]:
        incident = self.incidents.get(number, actor)
        now = self.clock.now()
        names = [variant] if variant else list(self._variant_names(family))
        return [self.render_variant(incident, family, name, fields, now) for name in names]

    def _variant_names(self, family: str) -> list[str]:
        templates = self.playbook.communications.templates
        if family not in templates:
            raise Invalid.field(
                "template", f"no template family '{family}'; families: {', '.join(templates)}"
            )
        return list(templates[family].variants)

    # --- sending --------------------------------------------------------------------

    def audiences(self, incident: Incident, audience: str) -> list[Audience]:
        known = {a.id: a for a in self.playbook.communications.audiences}
        if incident.drill:
            return self._drill_audience(incident, known.get(audience))
        if audience == "all":
            ids = self.playbook.severity(incident.severity).notify_audiences
            return [known[i] for i in ids]
        if audience not in known:
            raise Invalid.field(
                "audience", f"unknown audience '{audience}'; audiences: all, {', '.join(known)}"
            )
        return [known[audience]]

    def _drill_audience(self, incident: Incident, asked: Audience | None) -> list[Audience]:
        """A drill tells its participants only, whatever audience was asked for; customers,
        subscribers, the status page and executives are never reached by a drill."""
        if asked is not None and asked.external:
            raise Forbidden(f"incident #{incident.id} is a drill: '{asked.id}' is never told")
        channels = drills.participant_channels(self.playbook, incident.drill_participants or [])
        if not channels:
            raise Conflict(f"drill #{incident.id} has no participant with an address to tell")
        return [Audience(id="drill-participants", name="Drill participants", channels=channels)]

    def notify(
        self, number: int, family: str, audience: str, fields: dict[str, Any], actor: Principal
    ) -> SendResult:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = session.scalars(
                select(Incident).where(Incident.id == number).with_for_update()
            ).first()
            incident = self.incidents.visible(session, incident, number, actor)
            return self.notify_in(session, incident, family, audience, fields, actor, now)

    def notify_in(
        self,
        session: Session,
        incident: Incident,
        family: str,
        audience: str,
        fields: dict[str, Any],
        actor: Principal,
        now: datetime,
    ) -> SendResult:
        """Send inside the caller's transaction (incident locked): automation rules use it."""
        result = SendResult()
        variants = self._variant_names(family)
        kinds_sent: set[str] = set()
        for target in self.audiences(incident, audience):
            self._check_disclosure(session, incident, family, target)
            for channel in target.channels:
                name = variant_for(channel, variants)
                if name is None:
                    continue
                where = destination(channel)
                if where.kind == "unsupported":
                    result.skipped.append(f"{target.id} {channel}: {where.reason}")
                    continue
                rendered = self.render_variant(
                    incident, family, name, fields, now, external=target.external
                )
                if rendered.blocking:
                    raise Invalid.field(
                        "fields",
                        f"{family}.{name} for '{target.id}' needs "
                        + ", ".join(rendered.blocking)
                        + " (marked required; set them with `firebell facts`)",
                    )
                if rendered.problems:
                    raise Conflict(
                        f"blocked: the {family}.{name} message for "
                        f"'{target.id}' " + "; ".join(rendered.problems)
                    )
                result.rendered.append(rendered)
                self._deliver(session, incident, target, channel, rendered, now, actor, result)
                kinds_sent.add("status_page" if channel == "status_page" else "internal")
        if not result.rendered:
            raise Invalid.field("audience", f"no variant of '{family}' fits audience '{audience}'")
        record(
            session,
            incident.id,
            now,
            actor.name,
            "update_sent",
            {
                "template": family,
                "audience": audience,
                "messages": result.messages,
                "public_updates": result.public_updates,
                "skipped": result.skipped,
                "fields": sorted(fields),
            },
        )
        for kind in kinds_sent:
            self._rearm(session, incident, kind, now)
        return result

    def _check_disclosure(
        self, session: Session, incident: Incident, family: str, target: Audience
    ) -> None:
        if family == "security" and not target.security_only and not target.external:
            raise Forbidden(
                f"the security template goes only to security audiences, not '{target.id}'"
            )
        if not incident.private or target.security_only:
            return
        approved = session.scalars(
            select(TimelineEvent.id).where(
                TimelineEvent.incident_id == incident.id,
                TimelineEvent.kind == "disclosure_approved",
            )
        ).all()
        events = (
            session.scalars(select(TimelineEvent).where(TimelineEvent.id.in_(approved))).all()
            if approved
            else []
        )
        if not any(e.details.get("audience") == target.id for e in events):
            raise Forbidden(
                f"incident #{incident.id} is a security incident: sending to '{target.id}' "
                f"needs a recorded approval (firebell approve-disclosure {incident.id} "
                f"--audience {target.id} --reason ...)"
            )

    def _deliver(
        self,
        session: Session,
        incident: Incident,
        target: Audience,
        channel: str,
        rendered: Rendered,
        now: datetime,
        actor: Principal,
        result: SendResult,
    ) -> None:
        where = destination(channel)  # supported: checked by the caller
        if where.kind == "status_page":
            status = PUBLIC_STATUS.get(rendered.family) or (
                incident.status
                if incident.status in ("investigating", "identified", "monitoring")
                else "resolved"
            )
            session.add(
                PublicUpdate(
                    incident_id=incident.id,
                    status=status,
                    impact=self.playbook.severity(incident.severity).status_page.impact,
                    title=rendered.title or incident.title,
                    body=rendered.body,
                    created_at=now,
                    created_by=actor.name,
                )
            )
            result.public_updates += 1
            return
        if where.kind == "subscribers":
            subject = rendered.subject or rendered.title or incident.title
            queued = (
                self.customer_fanout(
                    session, incident, rendered.family, subject, rendered.body, now
                )
                if self.customer_fanout is not None
                else "no subscriber list is configured"
            )
            if isinstance(queued, str):
                result.skipped.append(f"{target.id} {channel}: {queued}")
            else:
                result.messages += queued
            return
        subject = rendered.subject or rendered.title or f"[{incident.severity}] {incident.title}"
        if rendered.confidential and "CONFIDENTIAL" not in subject:
            subject = f"[CONFIDENTIAL] {subject}"
        enqueue(
            session,
            purpose="notify",
            method=where.method,
            address=where.address,
            subject=subject,
            body=rendered.body,
            dedupe_key=f"notify:{incident.id}:{uuid.uuid4().hex}",
            now=now,
            incident=incident,
            payload={
                "audience": target.id,
                "template": f"{rendered.family}.{rendered.variant}",
                "confidential": rendered.confidential,
            },
        )
        result.messages += 1

    def approve_disclosure(self, number: int, audience: str, reason: str, actor: Principal) -> None:
        if not reason.strip():
            raise Invalid.field("reason", "say why this disclosure is approved")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = session.get(Incident, number)
            incident = self.incidents.visible(session, incident, number, actor)
            if not actor.has("admin"):
                raise Forbidden("approving disclosure of a security incident needs 'admin'")
            self.audiences(incident, audience)
            record(
                session,
                number,
                now,
                actor.name,
                "disclosure_approved",
                {"audience": audience, "reason": reason},
            )

    def set_facts(self, number: int, facts: dict[str, Any], actor: Principal) -> Incident:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            incident = session.scalars(
                select(Incident).where(Incident.id == number).with_for_update()
            ).first()
            incident = self.incidents.visible(session, incident, number, actor)
            merged = {**(incident.facts or {}), **facts}
            incident.facts = {k: v for k, v in merged.items() if v is not None}
            incident.updated_at = now
            change = Change("facts_updated", {}, {"facts": facts})
            record(session, number, now, actor.name, change.kind, change.details)
            self.incidents.run_hooks(session, incident, change, now)
        return incident

    # --- cadence --------------------------------------------------------------------

    def _interval(self, incident: Incident, kind: str, first: bool) -> Any:
        severity = self.playbook.severity(incident.severity)
        if kind == "status_page":
            policy = severity.status_page
            span = policy.first_update_within if first else policy.cadence
            return span if policy.required == "always" else None
        return severity.update_cadence

    def _next_update(self, incident: Incident, now: datetime) -> datetime | None:
        span = self.playbook.severity(incident.severity).update_cadence
        return span.after(now) if span is not None else None

    def _rearm(
        self, session: Session, incident: Incident, kind: str, now: datetime, first: bool = False
    ) -> None:
        session.execute(
            update(Timer)
            .where(
                Timer.incident_id == incident.id,
                Timer.kind == CADENCE,
                Timer.status == "pending",
                Timer.generation == _KINDS[kind],
            )
            .values(status="cancelled")
        )
        span = self._interval(incident, kind, first)
        if span is None or incident.status not in OPEN_STATUSES:
            return
        session.add(
            Timer(
                kind=CADENCE,
                due_at=span.after(now),
                status="pending",
                incident_id=incident.id,
                generation=_KINDS[kind],
                payload={"kind": kind},
                created_at=now,
            )
        )

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        if change.kind == "declared":
            self._rearm(session, incident, "internal", now, first=True)
            self._rearm(session, incident, "status_page", now, first=True)
            if self.playbook.severity(incident.severity).paging == "ticket":
                self._ticket(session, incident, now)
        elif change.kind in ("resolved", "closed"):
            session.execute(
                update(Timer)
                .where(
                    Timer.incident_id == incident.id,
                    Timer.kind == CADENCE,
                    Timer.status == "pending",
                )
                .values(status="cancelled")
            )
        elif change.kind == "severity_changed":
            for kind in ("internal", "status_page"):
                self._rearm(session, incident, kind, now, first=True)

    def _ticket(self, session: Session, incident: Incident, now: datetime) -> None:
        """A "ticket only" severity (the seed's P3): open a ticket in each ticket channel
        of the severity's audiences, in the declaration's transaction."""
        known = {a.id: a for a in self.playbook.communications.audiences}
        for audience_id in self.playbook.severity(incident.severity).notify_audiences:
            for channel in known[audience_id].channels:
                where = destination(channel)
                if where.method != "jira":
                    continue
                enqueue(
                    session,
                    purpose="ticket",
                    method="jira",
                    address=where.address,
                    subject=f"[{incident.severity}] #{incident.id} {incident.title}",
                    body="\n".join(
                        filter(None, [incident.summary, f"firebell incident #{incident.id}"])
                    ),
                    dedupe_key=f"ticket:{incident.id}:{where.address}",
                    now=now,
                    incident=incident,
                )
                record(
                    session,
                    incident.id,
                    now,
                    ACTOR,
                    "ticket_requested",
                    {"project": where.address, "audience": audience_id},
                )

    def fire(self, session: Session, timer: Timer, now: datetime) -> None:
        """An update is overdue: record the missed deadline and remind the commander."""
        incident = session.get(Incident, timer.incident_id)
        if incident is None or incident.status not in OPEN_STATUSES:
            return
        kind = timer.payload["kind"]
        event = "status_page_update_missed" if kind == "status_page" else "update_overdue"
        record(
            session,
            incident.id,
            now,
            ACTOR,
            event,
            {"due_at": timer.due_at.isoformat(), "severity": incident.severity},
        )
        self._remind(session, incident, kind, now)
        self._rearm(session, incident, kind, now)

    def _remind(self, session: Session, incident: Incident, kind: str, now: datetime) -> None:
        who = incident.commander
        person = next((p for p in self.playbook.people if p.id == who), None)
        if person is None:
            record(
                session,
                incident.id,
                now,
                ACTOR,
                "reminder_not_sent",
                {"reason": "no incident commander with contact details is assigned"},
            )
            return
        what = "status page update" if kind == "status_page" else "stakeholder update"
        text = (
            f"Incident #{incident.id} ({incident.severity}: {incident.title}) needs a "
            f"{what}: none was posted in time. Send one with: firebell notify "
            f"{incident.id} --template update --audience all"
        )
        tell(
            session,
            person,
            purpose="reminder",
            subject=f"[firebell] {what} due for #{incident.id}",
            body=text,
            key=f"remind:{incident.id}:{kind}:{now.isoformat()}",
            now=now,
            incident=incident,
            payload={"kind": kind},
        )


# Cadence timers keep their kind in `generation` too, so re-arming can cancel by kind
# with a plain column comparison on both databases.
_KINDS = {"internal": 1, "status_page": 2}
