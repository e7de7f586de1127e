"""What a playbook would do, computed without a server, a database or a clock.

Pure functions over the playbook and the instant given, mirroring the engine's own decisions
(they call the same cores: :mod:`firebell.paging.policy`, :mod:`firebell.oncall`,
:mod:`firebell.intake.decide`, :mod:`firebell.comms.render`). They serve ``firebell playbook
test`` (assertions about the process) and ``firebell simulate`` (what an alert would cause).

The escalation timeline assumes nobody acknowledges and every delivery goes out on time:
it answers "who would be paged, when, by which methods" for a run left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from firebell import oncall
from firebell.comms.context import build
from firebell.comms.render import render
from firebell.intake.alertmanager import parse_alertmanager
from firebell.intake.decide import decide
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.generic import parse_generic
from firebell.intake.grafana import parse_grafana
from firebell.intake.integrations import Integrations, LiveIntegration
from firebell.intake.opsgenie import parse_opsgenie_create
from firebell.intake.pagerduty import parse_pagerduty
from firebell.paging.policy import (
    PolicySnapshot,
    delay_before,
    deliveries,
    next_step,
    pick,
    snapshot,
    urgency_of,
)
from firebell.paging.schedules import on_call, schedule_model
from firebell.playbook.schema import Playbook
from firebell.store.models import Incident

# ---------------------------------------------------------------------------------------
# Escalation


@dataclass(frozen=True)
class Page:
    """One level activation: ``after`` the start, ``people`` paged by ``methods``."""

    after: timedelta
    level: int  # 1-based, as people count levels
    level_name: str
    pass_number: int  # 1-based
    people: tuple[str, ...]
    methods: tuple[str, ...]  # "person/method", in the order the rules give them
    unreachable: tuple[str, ...] = ()  # why a person or method could not be used


@dataclass(frozen=True)
class Skipped:
    """A level with nobody to page at that instant: the engine goes on to the next at once."""

    after: timedelta
    level: int
    level_name: str


@dataclass(frozen=True)
class EscalationRun:
    policy: str
    mode: str  # page | notify | ticket (the severity's paging mode)
    urgency: str
    pages: tuple[Page, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def policy_for(playbook: Playbook, service: str | None, private: bool) -> PolicySnapshot:
    """The escalation policy an incident pages with (security policy for private ones)."""
    policy_id = playbook.escalation.default_policy
    spec = playbook.service(service) if service else None
    if private and playbook.escalation.security_policy:
        policy_id = playbook.escalation.security_policy
    elif spec is not None and spec.escalation_policy:
        policy_id = spec.escalation_policy
    return snapshot(next(p for p in playbook.escalation_policies if p.id == policy_id))


def resolve_targets(
    playbook: Playbook,
    targets: Iterable[tuple[str, str]],
    at: datetime,
    overrides: dict[str, list[oncall.Override]] | None = None,
) -> list[str]:
    """The people a level's targets name at ``at`` (schedules resolved to who is on call)."""
    people: list[str] = []
    for kind, target_id in targets:
        if kind == "person":
            people.append(target_id)
        elif kind == "team":
            team = next((t for t in playbook.teams if t.id == target_id), None)
            if team is not None:
                people += team.members or ([team.lead] if team.lead else [])
        else:
            who = on_call(playbook, target_id, at, (overrides or {}).get(target_id, []))
            if who is not None:
                people.append(who)
    return people


def escalation_run(
    playbook: Playbook,
    *,
    severity: str,
    service: str | None,
    at: datetime,
    private: bool = False,
    overrides: dict[str, list[oncall.Override]] | None = None,
) -> EscalationRun:
    """Every page an incident declared at ``at`` would send if nobody acknowledged it."""
    mode = playbook.severity(severity).paging
    policy = policy_for(playbook, service, private)
    urgency = urgency_of(severity)
    run = _Run(playbook, policy, urgency, at, overrides or {})
    if mode == "ticket":
        return EscalationRun(policy.id, mode, urgency)
    if mode == "notify":
        run.activate(0, 0, at)
        return run.result(mode)
    levels = playbook.severity(severity).page_levels
    immediate = sorted({lv - 1 for lv in levels if 0 < lv <= len(policy.levels)})
    for level in immediate[:-1]:
        run.activate(level, 0, at)
    last = immediate[-1] if immediate else 0
    # Levels paged at once keep the matrix's clock (as the engine does).
    due = at + sum((lv.delay for lv in policy.levels[1 : last + 1]), timedelta(0))
    level, pass_number, now = last, 0, at
    while True:
        paged = run.activate(level, pass_number, now)
        step = next_step(policy, level, pass_number)
        if step is None:
            return run.result(mode)
        if paged:
            now = due = max(now, due + delay_before(policy, *step))
        level, pass_number = step


@dataclass
class _Run:
    playbook: Playbook
    policy: PolicySnapshot
    urgency: str
    start: datetime
    overrides: dict[str, list[oncall.Override]]
    pages: list[Page] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)

    def activate(self, level: int, pass_number: int, now: datetime) -> bool:
        spec = self.policy.levels[level]
        candidates = resolve_targets(self.playbook, spec.targets, now, self.overrides)
        chosen, self.positions[level] = pick(
            candidates, spec.strategy, self.positions.get(level, 0)
        )
        after = now - self.start
        if not chosen:
            self.skipped.append(Skipped(after, level + 1, spec.name))
            return False
        people = {p.id: p for p in self.playbook.people}
        methods: list[str] = []
        unreachable: list[str] = []
        for person_id in chosen:
            person = people.get(person_id)
            if person is None:
                unreachable.append(f"{person_id}: not in the directory")
                continue
            plans, missing = deliveries(
                person, self.playbook.on_call.default_notification_rules, self.urgency
            )
            methods += [f"{person_id}/{plan.method}" for plan in plans]
            unreachable += [reason for _, reason in missing]
        self.pages.append(
            Page(
                after,
                level + 1,
                spec.name,
                pass_number + 1,
                tuple(chosen),
                tuple(methods),
                tuple(unreachable),
            )
        )
        return True

    def result(self, mode: str) -> EscalationRun:
        return EscalationRun(
            self.policy.id, mode, self.urgency, tuple(self.pages), tuple(self.skipped)
        )


# ---------------------------------------------------------------------------------------
# Alerts


@dataclass(frozen=True)
class AlertVerdict:
    """What the playbook decides for one alert of a payload."""

    summary: str
    action: str
    service: str
    severity: str
    reason: str  # the routing rule or decision-tree branch that decided
    labels: dict[str, str]


def integration(playbook: Playbook, integration_id: str) -> LiveIntegration:
    """The playbook's integration with its compiled rules (no key is needed to simulate)."""
    found = Integrations(playbook, b"\0" * 32).by_id.get(integration_id)
    if found is None:
        known = ", ".join(i.id for i in playbook.integrations) or "none"
        raise ValueError(f"unknown integration '{integration_id}' (known: {known})")
    return found


def parse_payload(live: LiveIntegration, payload: Any) -> list[AlertEvent]:
    """The payload as the integration's format parses it: one event per alert."""
    fmt = live.spec.format
    parsed: GroupEvent | AlertEvent
    if fmt == "alertmanager":
        parsed = parse_alertmanager(payload)
    elif fmt == "grafana":
        parsed = parse_grafana(payload)
    elif fmt == "pagerduty":
        parsed = parse_pagerduty(payload, new_key=lambda: "simulated")
    elif fmt == "opsgenie":
        parsed = parse_opsgenie_create(payload)
    elif fmt == "generic" and live.generic is not None:
        parsed = parse_generic(payload, live.generic)
    else:
        raise ValueError(f"integration '{live.id}' ({fmt}) takes no payload to simulate")
    if isinstance(parsed, GroupEvent):
        return list(parsed.alerts)
    return [parsed]


def classify_payload(playbook: Playbook, integration_id: str, payload: Any) -> list[AlertVerdict]:
    """Service, severity and the reason for every alert of ``payload``."""
    live = integration(playbook, integration_id)
    verdicts: list[AlertVerdict] = []
    for event in parse_payload(live, payload):
        decision = decide(event, live.spec.options, live.rules, live.spec.service)
        verdicts.append(
            AlertVerdict(
                event.summary,
                event.action,
                decision.service,
                decision.severity,
                decision.reason,
                dict(event.labels),
            )
        )
    return verdicts


# ---------------------------------------------------------------------------------------
# Templates


def render_variant(
    playbook: Playbook,
    family: str,
    variant: str,
    *,
    severity: str,
    title: str,
    at: datetime,
    facts: dict[str, Any],
    commander: str | None = None,
    service: str | None = None,
    private: bool = False,
    resolved: bool = False,
    number: int = 1,
) -> dict[str, str]:
    """A template variant rendered for an imaginary incident: its subject/title/body."""
    family_spec = playbook.communications.templates.get(family)
    if family_spec is None:
        raise ValueError(f"unknown template family '{family}'")
    spec = family_spec.variants.get(variant)
    if spec is None:
        raise ValueError(
            f"template '{family}' has no variant '{variant}' "
            f"(it has: {', '.join(family_spec.variants)})"
        )
    incident = Incident(
        id=number,
        title=title,
        severity=severity,
        status="resolved" if resolved else "investigating",
        service=service,
        private=private,
        commander=commander,
        facts=dict(facts),
        declared_at=at,
        impact_started_at=None,
        resolved_at=None,
        summary=None,
    )
    cadence = playbook.severity(severity).update_cadence
    next_update = at + cadence.approx() if cadence else None
    context = build(playbook, incident, at, next_update, as_resolved=resolved)
    parts: dict[str, str] = {}
    for part in ("subject", "title", "body"):
        source = getattr(spec, part)
        if source:
            parts[part] = render(f"{family}.{variant}.{part}", source, context)
    return parts


# ---------------------------------------------------------------------------------------
# Hand-offs


def handoffs_on(
    playbook: Playbook, schedule_id: str, day: date, zone_name: str
) -> list[oncall.Handoff]:
    """The schedule's hand-offs during one local day in ``zone_name``."""
    if not any(s.id == schedule_id for s in playbook.on_call.schedules):
        known = ", ".join(s.id for s in playbook.on_call.schedules) or "none"
        raise ValueError(f"unknown schedule '{schedule_id}' (known: {known})")
    zone = ZoneInfo(zone_name)
    since = datetime.combine(day, time(0), zone)
    until = datetime.combine(day + timedelta(days=1), time(0), zone)
    # Widen by a minute each side: the window's own edges are never hand-offs.
    found = oncall.handoffs(
        schedule_model(playbook, schedule_id),
        since - timedelta(minutes=1),
        until + timedelta(minutes=1),
    )
    return [h for h in found if since <= h.at < until]


# ---------------------------------------------------------------------------------------
# An alert, end to end


@dataclass(frozen=True)
class Notice:
    """A message the declaration sends: to an audience, or the status page."""

    audience: str
    channels: tuple[str, ...]
    within: str | None = None  # the playbook's deadline for it, e.g. "10m"


@dataclass(frozen=True)
class AlertOutcome:
    verdict: AlertVerdict
    escalation: EscalationRun
    notices: tuple[Notice, ...]
    war_room: str  # always | conditional | never


def simulate_alert(
    playbook: Playbook, integration_id: str, payload: Any, at: datetime
) -> list[AlertOutcome]:
    """What each firing alert of ``payload`` would cause if it opened an incident at ``at``:
    its severity and why, who is paged when, which audiences are told. Nothing is sent and
    no database is read, so an incident already open for the service is not known here."""
    outcomes: list[AlertOutcome] = []
    for verdict in classify_payload(playbook, integration_id, payload):
        if verdict.action != "trigger":
            continue
        severity = playbook.severity(verdict.severity)
        run = escalation_run(playbook, severity=verdict.severity, service=verdict.service, at=at)
        audiences = {a.id: a for a in playbook.communications.audiences}
        notices = [Notice(a, tuple(audiences[a].channels)) for a in severity.notify_audiences]
        page = severity.status_page
        if page.required != "never":
            first = str(page.first_update_within) if page.first_update_within else None
            notices.append(Notice(f"status page ({page.required})", ("status_page",), first))
        outcomes.append(AlertOutcome(verdict, run, tuple(notices), severity.war_room))
    return outcomes
