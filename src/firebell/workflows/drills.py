"""Drills (pure): who a drill may reach, and how the team did against the playbook.

A drill is a real incident flagged ``drill`` with a list of participants. Paging and
messages use the participants' own contact methods, so the drill is real for them, and
reach nobody else: :func:`participant_policy` replaces the escalation policy and
:func:`participant_channels` every internal audience. The score (:func:`score`) is read
from the drill's timeline against the playbook's targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.paging.policy import Level, PolicySnapshot
from firebell.playbook.schema import Person, Playbook

PREFIX = "[DRILL] "


def participant_policy(participants: Iterable[str]) -> PolicySnapshot:
    """One level paging every participant; no repeat."""
    targets = tuple(("person", p) for p in participants)
    return PolicySnapshot(
        id="drill",
        name="Drill participants",
        repeat=0,
        levels=(Level(0, "Drill participants", timedelta(0), targets, "notify_all"),),
    )


def participant_channels(playbook: Playbook, participants: Iterable[str]) -> list[str]:
    """The participants' own addresses as audience channels (email, then chat)."""
    people = {p.id: p for p in playbook.people}
    channels: list[str] = []
    for person in (people[p] for p in participants if p in people):
        if person.email:
            channels.append(person.email)
        elif person.chat:
            channels.append(person.chat if person.chat.startswith("#") else f"#{person.chat}")
    return channels


def addresses(people: Iterable[Person]) -> set[str]:
    """Every address that reaches one of these people, by any method."""
    found: set[str] = set()
    for p in people:
        found |= {a for a in (p.email, p.phone, p.chat, p.push_topic, p.webhook_url) if a}
    return found


def marked(text: str) -> str:
    return text if text.startswith(PREFIX) else PREFIX + text


@dataclass(frozen=True)
class Measure:
    name: str
    target: str
    actual: str
    met: bool | None  # None: not applicable or not reached


@dataclass(frozen=True)
class DrillScore:
    incident: int
    scenario: str | None
    severity: str
    participants: tuple[str, ...]
    declared_at: datetime
    measures: tuple[Measure, ...]

    @property
    def met(self) -> int:
        return sum(1 for m in self.measures if m.met)

    @property
    def scored(self) -> int:
        return sum(1 for m in self.measures if m.met is not None)


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    at: datetime
    details: Mapping[str, Any]


def score(
    playbook: Playbook,
    *,
    incident: int,
    scenario: str | None,
    severity: str,
    participants: Iterable[str],
    declared_at: datetime,
    ended_at: datetime,
    events: Iterable[TimelineItem],
) -> DrillScore:
    """Each target of the playbook met or not, from what the drill's timeline shows.
    ``ended_at`` is when the drill was resolved (or now, for one still running)."""
    items = list(events)
    spec = playbook.severity(severity)

    def first(*kinds: str) -> datetime | None:
        return next((e.at for e in items if e.kind in kinds), None)

    def within(name: str, at: datetime | None, target: timedelta | None) -> Measure:
        label = words(target) if target is not None else "-"
        if target is None:
            return Measure(name, label, _took(at, declared_at), None)
        if at is None:
            return Measure(name, label, "not done", False)
        return Measure(name, label, _took(at, declared_at), at - declared_at <= target)

    response = spec.response_time.approx()
    measures = [
        within("acknowledged", first("acknowledged"), response),
        within("commander assigned", first("commander_assigned"), response),
    ]
    if spec.war_room != "never":
        measures.append(
            within(
                "war room opened",
                first("war_room_opened", "war_room_requested"),
                timedelta(minutes=15),
            )
        )
    update_target = spec.status_page.first_update_within or spec.update_cadence
    measures.append(
        within(
            "first update sent",
            first("update_sent"),
            update_target.approx() if update_target else None,
        )
    )
    measures.append(_checkpoints(playbook, items, ended_at))
    measures.append(within("resolved", first("resolved"), spec.resolution_target.approx()))
    steps = [e for e in items if e.kind == "runbook_step"]
    finished = sum(1 for e in items if e.kind == "runbook_finished")
    started = sum(1 for e in items if e.kind == "runbook_started")
    measures.append(
        Measure(
            "runbook",
            "every run finished" if started else "-",
            f"{len(steps)} steps, {finished} of {started} runs finished",
            (finished == started) if started else None,
        )
    )
    return DrillScore(
        incident, scenario, severity, tuple(participants), declared_at, tuple(measures)
    )


def _checkpoints(playbook: Playbook, items: list[TimelineItem], ended_at: datetime) -> Measure:
    opened = next((e.at for e in items if e.kind == "war_room_opened"), None)
    interval = playbook.war_room.checkpoints.interval.approx()
    if opened is None or interval <= timedelta(0):
        return Measure("checkpoints kept", "-", "no war room", None)
    due = int((ended_at - opened) / interval)
    kept = sum(1 for e in items if e.kind == "checkpoint")
    return Measure("checkpoints kept", f"{due} (every {words(interval)})", str(kept), kept >= due)


def _took(at: datetime | None, start: datetime) -> str:
    return "not done" if at is None else words(at - start)


def words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    minutes, rest = divmod(seconds, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"


def report_markdown(result: DrillScore, playbook: Playbook) -> str:
    name = next(
        (d.name for d in playbook.drills.scenarios if d.id == result.scenario), result.scenario
    )
    lines = [
        f"# Drill report: {name or 'drill'} (incident #{result.incident})",
        "",
        f"- Severity: {result.severity}",
        f"- Started: {result.declared_at:%Y-%m-%d %H:%M UTC}",
        f"- Participants: {', '.join(result.participants) or '-'}",
        f"- Score: {result.met} of {result.scored} targets met",
        "",
        "| measure | target | actual | met |",
        "|---|---|---|---|",
    ]
    for m in result.measures:
        verdict = "-" if m.met is None else ("yes" if m.met else "**no**")
        lines.append(f"| {m.name} | {m.target} | {m.actual} | {verdict} |")
    return "\n".join(lines) + "\n"
