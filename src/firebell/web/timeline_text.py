"""One line of words for each timeline event (pure). Unknown kinds still read well:
the kind in words and its details as 'key: value'."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html import escape as _escape
from typing import Any, NamedTuple

from markupsafe import Markup

Details = dict[str, Any]


def _declared(d: Details) -> str:
    extra = " (private)" if d.get("private") else ""
    return f"Declared {d.get('severity', '')} “{d.get('title', '')}”{extra}"


_TEXT: dict[str, Callable[[Details], str]] = {
    "declared": _declared,
    "acknowledged": lambda d: "Acknowledged",
    "status_changed": lambda d: f"Status {d.get('from', '?')} → {d.get('to', '?')}",
    "severity_changed": lambda d: (
        f"Severity {d.get('from', '?')} → {d.get('to', '?')}: {d.get('reason', '')}"
    ),
    "note": lambda d: f"Note: {d.get('text', '')}",
    "resolved": lambda d: "Resolved" + (f": {d['summary']}" if d.get("summary") else ""),
    "closed": lambda d: "Closed",
    "reopened": lambda d: "Reopened",
    "commander_assigned": lambda d: f"Commander: {d.get('to') or 'nobody'}",
    "task_assigned": lambda d: f"Task {d.get('task')} for {d.get('assignee')}: {d.get('text')}",
    "task_acknowledged": lambda d: f"Task {d.get('task')} acknowledged by {d.get('assignee')}",
    "task_done": lambda d: f"Task {d.get('task')} done: {d.get('text')}",
    "role_assigned": lambda d: f"{d.get('role_name') or d.get('role')}: {d.get('person')}",
    "update_sent": lambda d: f"Update sent to {d.get('audience')} ({d.get('template')})",
    "facts_updated": lambda d: "Facts: " + ", ".join(f"{k}" for k in (d.get("facts") or {})),
    "role_released": lambda d: (
        f"{d.get('role_name') or d.get('role')} released by {d.get('person')}"
    ),
    "decision": lambda d: (
        f"Decision by {d.get('made_by')}: {d.get('choice')}"
        + (f" — why: {d['rationale']}" if d.get("rationale") else "")
        + f" (considered: {', '.join(str(o) for o in d.get('options') or [])})"
    ),
    "runbook_started": lambda d: (
        f"Runbook {d.get('run')} started: {d.get('name') or d.get('workflow')}"
    ),
    "runbook_step": lambda d: (
        f"Runbook {d.get('run')} · {d.get('text') or d.get('step')}"
        + (f" → {d['answer']}" if d.get("answer") else " → done")
    ),
    "runbook_finished": lambda d: f"Runbook {d.get('run')} finished ({d.get('workflow')})",
    "runbook_action": lambda d: f"Runbook {d.get('run')} · {d.get('did')}",
    "runbook_command": lambda d: (
        f"Runbook {d.get('run')} ran {' '.join(d.get('argv') or [])}: "
        + ("timed out" if d.get("timed_out") else f"exit {d.get('exit_code')}")
    ),
}


def words(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value[:5]) + ("…" if len(value) > 5 else "")
    if isinstance(value, dict):
        return "{…}"
    return str(value)


def describe(kind: str, details: Details) -> str:
    text = _TEXT.get(kind)
    if text is not None:
        return text(details)
    parts = [f"{k}: {_value(v)}" for k, v in details.items() if v not in (None, "", [], {})]
    return words(kind) + (f" — {'; '.join(parts[:4])}" if parts else "")


NOISY = frozenset({"alert_attached", "alert_resolved", "level_paged", "level_notified"})


def is_noisy(kind: str) -> bool:
    """Alerts, pages and messages: shown collapsed by default on the incident page."""
    return kind in NOISY or kind.startswith("page")


class Line(NamedTuple):
    """One timeline event ready for the page."""

    id: int
    iso: str
    hm: str
    actor: str
    text: str
    noisy: bool


def line(event_id: int, at: datetime, actor: str, kind: str, details: Details) -> Line:
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    iso = at.isoformat()
    # iso is YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00, so [11:19] is HH:MM:SS (no strftime)
    return Line(event_id, iso, iso[11:19], actor, describe(kind, details), is_noisy(kind))


def event_html(ev: Line) -> Markup:
    """One `<li>` of the timeline. Built here rather than by a template macro: the page
    renders every event (1,000 and more), and a macro call per event was the largest cost
    of the page. The live stream sends the same markup for new events."""
    return Markup(_li(ev))


def events_html(lines: Iterable[Line]) -> Markup:
    return Markup("".join(map(_li, lines)))


def _li(ev: Line) -> str:
    # iso and hm come from datetime.isoformat (digits, '-', ':', '.', '+', 'T'): no escaping
    return (
        f'<li class="ev{" noisy" if ev.noisy else ""}" id="ev-{ev.id:d}">'
        f'<time datetime="{ev.iso}">{ev.hm}</time> <span class="actor">{_escape(ev.actor)}</span> '
        f'<span class="what">{_escape(ev.text)}</span></li>'
    )
