"""Escalation policies as pure data and decisions: snapshot, next step, whom to page."""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from firebell.playbook import schema


@dataclass(frozen=True)
class Level:
    index: int
    name: str
    delay: timedelta  # after the previous level
    targets: tuple[tuple[str, str], ...]  # (type, id)
    strategy: str


@dataclass(frozen=True)
class PolicySnapshot:
    id: str
    name: str
    repeat: int
    levels: tuple[Level, ...]
    repeat_after: timedelta = timedelta(minutes=15)

    @property
    def activations(self) -> int:
        """How many level activations a run that nobody acknowledges makes in all."""
        return len(self.levels) * (self.repeat + 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "repeat": self.repeat,
            "repeat_after_seconds": self.repeat_after.total_seconds(),
            "levels": [
                {
                    "name": lv.name,
                    "delay_seconds": lv.delay.total_seconds(),
                    "targets": [list(t) for t in lv.targets],
                    "strategy": lv.strategy,
                }
                for lv in self.levels
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicySnapshot:
        return cls(
            id=data["id"],
            name=data["name"],
            repeat=data["repeat"],
            repeat_after=timedelta(seconds=data.get("repeat_after_seconds", 900)),
            levels=tuple(
                Level(
                    index=i,
                    name=lv["name"],
                    delay=timedelta(seconds=lv["delay_seconds"]),
                    targets=tuple((t[0], t[1]) for t in lv["targets"]),
                    strategy=lv["strategy"],
                )
                for i, lv in enumerate(data["levels"])
            ),
        )


def snapshot(policy: schema.EscalationPolicy) -> PolicySnapshot:
    """Copied onto the incident when paging starts: editing the playbook mid-incident
    does not change whom this incident pages."""
    return PolicySnapshot(
        id=policy.id,
        name=policy.name,
        repeat=policy.repeat,
        repeat_after=policy.repeat_after.approx(),
        levels=tuple(
            Level(
                index=i,
                name=level.name,
                delay=level.delay.approx(),
                targets=tuple((t.type, t.id) for t in level.targets),
                strategy=level.strategy,
            )
            for i, level in enumerate(policy.levels)
        ),
    )


def next_step(policy: PolicySnapshot, level: int, pass_number: int) -> tuple[int, int] | None:
    """The (level, pass) after this one, or None when the policy is exhausted."""
    if level + 1 < len(policy.levels):
        return level + 1, pass_number
    if pass_number < policy.repeat:
        return 0, pass_number + 1
    return None


def delay_before(policy: PolicySnapshot, level: int, pass_number: int) -> timedelta:
    """How long after the previous activation (level, pass) is due."""
    if level == 0 and pass_number > 0:
        return policy.repeat_after
    return policy.levels[level].delay


def pick(candidates: list[str], strategy: str, position: int) -> tuple[list[str], int]:
    """Whom to page at a level: everyone, or the next in turn (returns the new position)."""
    unique = list(dict.fromkeys(candidates))
    if strategy != "round_robin" or not unique:
        return unique, position
    return [unique[position % len(unique)]], position + 1


@dataclass(frozen=True)
class Delivery:
    person: str
    method: str
    address: str
    delay: timedelta


CONTACT_METHODS = ("email", "sms", "voice", "chat", "push", "webhook", "console")


def addresses_of(person: schema.Person) -> dict[str, str | None]:
    """Each contact method -> this person's address for it (None: none given). The
    `console` method's address is the person's id: it reaches the consoles of the users
    linked to that person."""
    return {
        "email": person.email,
        "sms": person.phone,
        "voice": person.phone,
        "chat": person.chat,
        "push": person.push_topic,
        "webhook": person.webhook_url,
        "console": f"console:{person.id}",
    }


def deliveries(
    person: schema.Person,
    defaults: list[schema.ContactMethodRule],
    urgency: str,
) -> tuple[list[Delivery], list[tuple[str, str]]]:
    """A person's notification rules for this urgency -> deliveries, and the rules that
    could not apply (no address for that method) with the reason."""
    rules = person.notification_rules or defaults
    addresses = addresses_of(person)
    result: list[Delivery] = []
    skipped: list[tuple[str, str]] = []
    for rule in rules:
        if rule.urgency not in ("any", urgency):
            continue
        address = addresses[rule.method]
        if not address:
            skipped.append((rule.method, f"{person.id} has no {rule.method} address"))
            continue
        result.append(Delivery(person.id, rule.method, address, rule.delay.approx()))
    return result, skipped


def urgency_of(severity: str) -> str:
    """P0 and P1 page with high urgency (wake people up); P2 and P3 are low."""
    return "high" if severity in ("P0", "P1") else "low"


# --- what to page at a level: a plan, decided without a database -----------------------


@dataclass(frozen=True)
class Reach:
    """How people can be reached right now: the directory, the playbook's default rules,
    and the methods that have a channel configured."""

    people: Mapping[str, schema.Person]
    defaults: Sequence[schema.ContactMethodRule]
    available: Container[str]


@dataclass(frozen=True)
class PlannedPage:
    person: str
    method: str
    address: str
    delay: timedelta
    rule: int  # the rule's index: a person may be reached by one method twice
    example: bool = False  # a placeholder person: recorded as not sent, never delivered


@dataclass(frozen=True)
class LevelPlan:
    """Whom a level pages, by which methods, and who cannot be reached (with why)."""

    people: tuple[str, ...]
    pages: tuple[PlannedPage, ...]
    unreachable: tuple[str, ...]  # reasons, one per rule or person that could not apply
    position: int  # the round-robin position after this level

    @property
    def reaches_anyone(self) -> bool:
        """A level with nobody on call, or whose people have no usable method, pages
        nobody: it is handled as 'nobody on call' (next level at once, admins told)."""
        return bool(self.pages)

    @property
    def deliveries(self) -> list[str]:
        return [f"{p.person}/{p.method}" for p in self.pages]


def plan_person(person: schema.Person, reach: Reach, urgency: str) -> LevelPlan:
    """One person's pages by their notification rules for this urgency."""
    planned, missing = deliveries(person, list(reach.defaults), urgency)
    pages: list[PlannedPage] = []
    unreachable = [reason for _, reason in missing]
    for index, delivery in enumerate(planned):
        if delivery.method not in reach.available:
            unreachable.append(f"{person.id}: no {delivery.method} channel configured")
            continue
        pages.append(
            PlannedPage(
                person.id,
                delivery.method,
                delivery.address,
                delivery.delay,
                index,
                person.example,
            )
        )
    return LevelPlan((person.id,), tuple(pages), tuple(unreachable), 0)


def plan_level(
    level: Level, candidates: Sequence[str], position: int, reach: Reach, urgency: str
) -> LevelPlan:
    """What to page at this level: the people picked by its strategy, their pages, and
    who cannot be reached (not in the directory, no address, no channel)."""
    chosen, new_position = pick(list(candidates), level.strategy, position)
    pages: list[PlannedPage] = []
    unreachable: list[str] = []
    for person_id in chosen:
        person = reach.people.get(person_id)
        if person is None:
            unreachable.append(f"{person_id}: not in the directory")
            continue
        plan = plan_person(person, reach, urgency)
        pages += plan.pages
        unreachable += plan.unreachable
    return LevelPlan(tuple(chosen), tuple(pages), tuple(unreachable), new_position)
