"""Incident-command decisions as pure functions: war room activation, escalation
criteria, SLA deadlines. No database, no clock: the instant is an argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from firebell.incidents.lifecycle import SEVERITY_ORDER
from firebell.playbook.schema import EscalationCriterion, Playbook

TRUE_WORDS = {"true", "yes", "confirmed", "1", "y"}


def fact_true(facts: Mapping[str, Any], name: str) -> bool:
    value = facts.get(name)
    if isinstance(value, bool):
        return value
    return isinstance(value, str | int) and str(value).strip().lower() in TRUE_WORDS


def more_severe(a: str, b: str) -> bool:
    return SEVERITY_ORDER.index(a) < SEVERITY_ORDER.index(b)


@dataclass(frozen=True)
class Involvement:
    """What the war-room rules look at, beyond severity and time."""

    teams: frozenset[str] = frozenset()
    executive: bool = False


def involvement(playbook: Playbook, people: Iterable[str]) -> Involvement:
    """Teams of the people holding roles; an executive is a member of a team whose id
    or name says management/executive."""
    teams: set[str] = set()
    executive = False
    for team in playbook.teams:
        members = set(team.members) | ({team.lead} if team.lead else set())
        if members & set(people):
            teams.add(team.id)
            label = f"{team.id} {team.name}".lower()
            executive = executive or "management" in label or "executive" in label
    return Involvement(frozenset(teams), executive)


def war_room_rule(
    playbook: Playbook,
    severity: str,
    security: bool,
    open_for: timedelta,
    involved: Involvement,
) -> str | None:
    """The first activation rule that holds now, or None."""
    for rule in playbook.war_room.activation:
        if rule.severities and severity not in rule.severities:
            continue
        holds = (
            rule.when == "always"
            or (rule.when == "security" and security)
            or (rule.when == "multiple_teams" and len(involved.teams) > 1)
            or (rule.when == "executive_involved" and involved.executive)
            or (
                rule.when == "duration"
                and rule.after is not None
                and open_for >= rule.after.approx()
            )
        )
        if holds:
            return rule.id
    return None


def war_room_deadlines(playbook: Playbook, severity: str) -> list[tuple[str, timedelta]]:
    """Duration rules that may open the war room later: (rule id, after)."""
    return [
        (rule.id, rule.after.approx())
        for rule in playbook.war_room.activation
        if rule.when == "duration"
        and rule.after is not None
        and (not rule.severities or severity in rule.severities)
    ]


def criterion_applies(criterion: EscalationCriterion, severity: str) -> bool:
    if criterion.applies_to and severity not in criterion.applies_to:
        return False
    if criterion.to in ("P0", "P1"):
        return more_severe(criterion.to, severity)
    return True


def fact_criteria(
    playbook: Playbook, severity: str, facts: Mapping[str, Any], open_for: timedelta
) -> list[EscalationCriterion]:
    """Fact-triggered criteria that hold now (their `after`, if any, has passed)."""
    return [
        c
        for c in playbook.escalation.criteria
        if c.trigger == "fact"
        and c.fact
        and criterion_applies(c, severity)
        and fact_true(facts, c.fact)
        and (c.after is None or open_for >= c.after.approx())
    ]


def fact_criteria_later(
    playbook: Playbook, severity: str, facts: Mapping[str, Any], open_for: timedelta
) -> list[tuple[EscalationCriterion, timedelta]]:
    """Fact criteria whose fact holds but whose `after` has not passed: (rule, wait)."""
    return [
        (c, c.after.approx() - open_for)
        for c in playbook.escalation.criteria
        if c.trigger == "fact"
        and c.fact
        and c.after is not None
        and criterion_applies(c, severity)
        and fact_true(facts, c.fact)
        and open_for < c.after.approx()
    ]


def duration_criteria(playbook: Playbook, severity: str) -> list[EscalationCriterion]:
    return [
        c
        for c in playbook.escalation.criteria
        if c.trigger == "duration" and c.after is not None and criterion_applies(c, severity)
    ]


def related_criteria(playbook: Playbook, severity: str) -> list[EscalationCriterion]:
    return [
        c
        for c in playbook.escalation.criteria
        if c.trigger == "related_incidents" and criterion_applies(c, severity)
    ]


class Linkable(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def service(self) -> str | None: ...
    @property
    def private(self) -> bool: ...
    @property
    def facts(self) -> dict[str, Any]: ...


def related_incidents(incident: Linkable, candidates: Iterable[Linkable]) -> list[Linkable]:
    """Open incidents related to `incident`: the same service or the same root cause, and
    on the same side of the private boundary, so a private incident's number never lands
    on a public timeline and a public incident never escalates a private one (nor the
    other way round)."""
    root = (incident.facts or {}).get("root_cause")
    return [
        other
        for other in candidates
        if other.id != incident.id
        and other.private == incident.private
        and (
            (incident.service is not None and other.service == incident.service)
            or (bool(root) and (other.facts or {}).get("root_cause") == root)
        )
    ]


@dataclass(frozen=True)
class SlaClock:
    clock: str  # "response" or "resolution"
    due: datetime


def sla_clocks(playbook: Playbook, severity: str, declared_at: datetime) -> list[SlaClock]:
    spec = playbook.severity(severity)
    return [
        SlaClock("response", spec.response_time.after(declared_at)),
        SlaClock("resolution", spec.resolution_target.after(declared_at)),
    ]
