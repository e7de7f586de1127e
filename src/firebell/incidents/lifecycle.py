"""The incident lifecycle as pure decisions: (state, command, now) -> change or Conflict.

Statuses follow Statuspage's words, plus `closed` once the follow-up is done:

    investigating -> identified -> monitoring -> resolved -> closed
    (any open status may move to any other open status or to resolved;
     resolved may be reopened to investigating; closed is final)

`mitigated_at` is stamped the first time an incident reaches `monitoring` (a fix is in
place and being watched) or is resolved without passing through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from firebell.errors import Conflict, Invalid

Status = Literal["investigating", "identified", "monitoring", "resolved", "closed"]
STATUSES: tuple[Status, ...] = ("investigating", "identified", "monitoring", "resolved", "closed")
OPEN_STATUSES: frozenset[str] = frozenset({"investigating", "identified", "monitoring"})
SEVERITY_ORDER = ("P0", "P1", "P2", "P3")  # P0 is the most severe


@dataclass(frozen=True)
class IncidentState:
    number: int
    status: str
    severity: str
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    commander: str | None = None


@dataclass(frozen=True)
class Change:
    """What to write: new column values and the timeline event that explains them."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _label(state: IncidentState) -> str:
    return f"incident #{state.number}"


def acknowledge(state: IncidentState, actor: str, now: datetime) -> Change:
    if state.status in ("resolved", "closed"):
        raise Conflict(f"{_label(state)} is {state.status}; there is nothing to acknowledge")
    if state.acknowledged_at is not None:
        raise Conflict(
            f"{_label(state)} was already acknowledged at {state.acknowledged_at.isoformat()}"
        )
    fields: dict[str, Any] = {"acknowledged_at": now, "acknowledged_by": actor}
    details: dict[str, Any] = {}
    if state.commander is None:  # the on-call who acknowledges commands until handed over
        fields["commander"] = details["commander"] = actor
    return Change("acknowledged", fields, details)


def set_status(state: IncidentState, new_status: str, now: datetime) -> Change:
    if new_status not in STATUSES:
        raise Invalid.field("status", f"must be one of {', '.join(STATUSES)}")
    if new_status == state.status:
        raise Conflict(f"{_label(state)} is already {state.status}")
    if state.status == "closed":
        raise Conflict(f"{_label(state)} is closed; a closed incident cannot change status")
    if new_status == "closed" and state.status != "resolved":
        raise Conflict(f"{_label(state)} must be resolved before it is closed")
    if state.status == "resolved" and new_status not in ("closed", "investigating"):
        raise Conflict(
            f"{_label(state)} is resolved; it can only be closed or reopened as investigating"
        )
    fields: dict[str, Any] = {"status": new_status}
    details: dict[str, Any] = {"from": state.status, "to": new_status}
    if new_status in ("monitoring", "resolved") and state.mitigated_at is None:
        fields["mitigated_at"] = now
    if new_status == "resolved":
        fields["resolved_at"] = now
    elif new_status == "closed":
        fields["closed_at"] = now
    elif state.status == "resolved":  # reopened
        fields["resolved_at"] = None
        details["reopened"] = True
    kind = {"resolved": "resolved", "closed": "closed"}.get(new_status, "status_changed")
    if details.get("reopened"):
        kind = "reopened"
    return Change(kind, fields, details)


def resolve(state: IncidentState, now: datetime) -> Change:
    if state.status in ("resolved", "closed"):
        raise Conflict(f"{_label(state)} is already {state.status}")
    return set_status(state, "resolved", now)


def change_severity(state: IncidentState, new_severity: str, reason: str) -> Change:
    if new_severity not in SEVERITY_ORDER:
        raise Invalid.field("severity", f"must be one of {', '.join(SEVERITY_ORDER)}")
    if not reason.strip():
        raise Invalid.field("reason", "say why the severity changes")
    if state.status == "closed":
        raise Conflict(f"{_label(state)} is closed; its severity can no longer change")
    if new_severity == state.severity:
        raise Conflict(f"{_label(state)} is already {state.severity}")
    direction = (
        "escalated"
        if SEVERITY_ORDER.index(new_severity) < SEVERITY_ORDER.index(state.severity)
        else "downgraded"
    )
    return Change(
        "severity_changed",
        {"severity": new_severity},
        {"from": state.severity, "to": new_severity, "direction": direction, "reason": reason},
    )


def assign_commander(state: IncidentState, commander: str) -> Change:
    if not commander.strip():
        raise Invalid.field("commander", "must name a person")
    if state.status == "closed":
        raise Conflict(f"{_label(state)} is closed")
    if commander == state.commander:
        raise Conflict(f"{commander} is already the commander of {_label(state)}")
    return Change(
        "commander_assigned",
        {"commander": commander},
        {"from": state.commander, "to": commander},
    )


def add_note(text: str) -> Change:
    if not text.strip():
        raise Invalid.field("text", "a note cannot be empty")
    if len(text) > 10_000:
        raise Invalid.field("text", "a note is at most 10000 characters")
    return Change("note", {}, {"text": text})
