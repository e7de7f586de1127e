"""The first draft of a post-mortem: the playbook's template, pre-filled with what
firebell knows. Pure: facts in, Markdown out.

The template is literal Markdown with the seed's ``<placeholders>``. The header fields,
the timeline table and the total duration are filled in place when the template has
them; a "what firebell knows" section (severity, duration, detection, impact window,
people and roles, alerts, decisions, tasks) goes before the first ``## `` section.
Everything else stays for the author to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Timeline kinds that make the post-mortem's key-event table, and how they read.
KEY_EVENTS: dict[str, str] = {
    "declared": "Incident declared ({severity})",
    "level_paged": "Paged: {level_name}",
    "acknowledged": "Acknowledged",
    "severity_changed": "Severity {from} → {to}: {reason}",
    "commander_assigned": "Incident commander: {to}",
    "war_room_opened": "War room opened",
    "status_changed": "Status {from} → {to}",
    "update_sent": "Update sent: {family}",
    "public_update": "Public update ({status})",
    "resolved": "Incident resolved",
    "reopened": "Incident reopened",
    "escalated_manually": "Escalated manually",
}


@dataclass(frozen=True)
class KeyEvent:
    at: datetime
    text: str


@dataclass(frozen=True)
class DraftFacts:
    number: int
    title: str
    severity: str
    service: str | None
    author: str
    reviewers: list[str]
    declared_at: datetime
    detected_at: datetime | None = None
    impact_started_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    people: list[tuple[str, str]] = field(default_factory=list)  # (person, role)
    events: list[KeyEvent] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def key_event(kind: str, details: dict[str, Any], at: datetime) -> KeyEvent | None:
    """The table row for a timeline event, or None when it is not a key event."""
    pattern = KEY_EVENTS.get(kind)
    if pattern is None:
        return None
    text = pattern.format_map(_Blank({k: v for k, v in details.items() if v is not None}))
    return KeyEvent(at, text.rstrip(": ?"))


def stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "unknown"


def span(delta: timedelta | None) -> str:
    if delta is None:
        return "unknown"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} hours {minutes} minutes" if hours else f"{minutes} minutes"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start and end else None


def timeline_table(events: list[KeyEvent]) -> str:
    rows = ["| Time | Event |", "|------|-------|"]
    rows += [f"| {stamp(e.at)} | {cell(e.text)} |" for e in sorted(events, key=lambda e: e.at)]
    return "\n".join(rows)


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {cell(i)}" for i in items) if items else f"- {empty}"


def facts_section(facts: DraftFacts) -> str:
    start = facts.impact_started_at or facts.detected_at or facts.declared_at
    people = [f"{cell(person)}: {cell(role)}" for person, role in facts.people]
    lines = [
        "## What firebell knows",
        "",
        f"- **Incident:** #{facts.number} {cell(facts.title)}",
        f"- **Severity:** {facts.severity}",
        f"- **Service:** {facts.service or 'unknown'}",
        f"- **Impact window:** {stamp(start)} to {stamp(facts.resolved_at)} UTC",
        f"- **Detection:** {stamp(facts.detected_at)} UTC "
        f"({span(_between(facts.impact_started_at, facts.detected_at))} after impact began)",
        f"- **Time to acknowledge:** {span(_between(facts.declared_at, facts.acknowledged_at))}",
        f"- **Duration (declared to resolved):** "
        f"{span(_between(facts.declared_at, facts.resolved_at))}",
        "",
        "### People and roles",
        "",
        _bullets(people, "none recorded"),
        "",
        "### Alerts",
        "",
        _bullets(facts.alerts, "none"),
        "",
        "### Decisions",
        "",
        _bullets(facts.decisions, "none recorded"),
        "",
        "### Tasks",
        "",
        _bullets(facts.tasks, "none recorded"),
        "",
        "---",
        "",
    ]
    return "\n".join(lines)


_TABLE = re.compile(r"^\| *Time *\| *Event *\|\n(?:\|.*\|\n?)*", re.MULTILINE)


def render_draft(template: str, facts: DraftFacts) -> str:
    text = template
    header = {
        "<Incident Title>": facts.title,
        "**Date:** <YYYY-MM-DD>": f"**Date:** {facts.declared_at:%Y-%m-%d}",
        "**Author:** <Name>": f"**Author:** {facts.author}",
        "**Reviewers:** <Names>": f"**Reviewers:** {', '.join(facts.reviewers) or '-'}",
        "**Status:** Draft | Review | Published": "**Status:** Draft",
        "**Total Duration:** <X hours Y minutes>": "**Total Duration:** "
        + span(_between(facts.impact_started_at or facts.declared_at, facts.resolved_at)),
    }
    for placeholder, value in header.items():
        text = text.replace(placeholder, value, 1)
    table = timeline_table(facts.events) + "\n"
    text, found = _TABLE.subn(lambda _m: table, text, count=1)
    section = facts_section(facts)
    if not found:
        section += "## Timeline\n\n" + table + "\n"
    position = text.find("\n## ")
    if position < 0:
        return text.rstrip("\n") + "\n\n" + section
    return text[: position + 1] + section + text[position + 1 :]
