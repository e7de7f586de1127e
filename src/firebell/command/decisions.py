"""Decisions recorded on an incident, read back from its timeline (pure).

`IncidentCommand.decide` writes each decision as a ``decision`` timeline event (options
considered, the choice, who made it, why); there is no second copy to keep in step, so
the list is a fold over the events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

KIND = "decision"


class EventLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def details(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Decision:
    event_id: int
    at: datetime
    choice: str  # what was decided
    options: tuple[str, ...]  # what was considered, the choice among them
    made_by: str  # who decided
    rationale: str | None  # why
    recorded_by: str

    @property
    def alternatives(self) -> tuple[str, ...]:
        return tuple(o for o in self.options if o != self.choice)


def decisions(events: Iterable[EventLike]) -> list[Decision]:
    """Every decision on the timeline, oldest first."""
    found = []
    for e in events:
        if e.kind != KIND:
            continue
        d = e.details
        found.append(
            Decision(
                event_id=e.id,
                at=e.at,
                choice=str(d.get("choice", "")),
                options=tuple(str(o) for o in d.get("options") or ()),
                made_by=str(d.get("made_by") or e.actor),
                rationale=d.get("rationale") or None,
                recorded_by=e.actor,
            )
        )
    return found


def options_from(choice: str, others: str) -> list[str]:
    """The options of a decision typed as 'the choice' plus 'the others, one a line'."""
    rest = [o.strip() for o in others.splitlines() if o.strip() and o.strip() != choice.strip()]
    return [choice.strip(), *rest]
