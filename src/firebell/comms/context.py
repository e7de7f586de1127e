"""The template context of docs/templates.md, built from an incident (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from firebell.comms.render import render
from firebell.playbook.schema import Playbook
from firebell.store.models import Incident

STAMP = "%Y-%m-%d %H:%M UTC"
# Names firebell fills in itself; facts and request fields may not replace them
# (`impact` and `summary` facts are the exception: they describe the incident).
RESERVED = frozenset({"incident", "org", "now", "status_page_url", "postmortem_due"})


def words(delta: timedelta) -> str:
    """`1 hour 10 minutes`, `45 minutes`, `2 days 3 hours`."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts[:2]) or "0 minutes"


def handle(playbook: Playbook, who: str | None) -> str | None:
    """A person id (or a name) as a chat handle with the @, as the seed writes it."""
    if not who:
        return None
    person = next((p for p in playbook.people if p.id == who), None)
    if person is not None and person.chat:
        return person.chat if person.chat.startswith("@") else f"@{person.chat}"
    return who if who.startswith("@") else f"@{who}"


def started(incident: Incident) -> datetime:
    return incident.impact_started_at or incident.declared_at


def channel_name(playbook: Playbook, incident: Incident) -> str:
    """The war room channel, rendered from `war_room.channel_name` (without '#')."""
    context = {"incident": _incident_core(playbook, incident, started(incident))}
    return render("war_room.channel_name", playbook.war_room.channel_name, context).strip()


def _incident_core(playbook: Playbook, incident: Incident, start: datetime) -> dict[str, Any]:
    severity = playbook.severity(incident.severity)
    return {
        "id": f"INC-{incident.id}",
        "number": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": start.strftime(STAMP),
        "started_stamp": start.strftime("%Y%m%d-%H%M"),
        "is_security": incident.private,
        "status_page_impact": severity.status_page.impact,
    }


def build(
    playbook: Playbook,
    incident: Incident,
    now: datetime,
    next_update: datetime | None,
    extra: dict[str, Any] | None = None,
    as_resolved: bool = False,
) -> dict[str, Any]:
    """Everything a template may use. Values that are unknown are left out, so a
    template that needs them fails with the variable's name (StrictUndefined).
    Facts and `extra` (request fields) cannot replace a value firebell or the playbook set.
    `as_resolved` renders a resolution message before the incident is resolved (a
    preview, or the message sent as part of resolving), with `now` as resolution time."""
    start = started(incident)
    resolved_at = incident.resolved_at or (now if as_resolved else None)
    end = resolved_at or now
    core = _incident_core(playbook, incident, start)
    core["duration"] = words(end - start)
    core["channel"] = "#" + channel_name(playbook, incident)
    if resolved_at:
        core["resolved_at"] = resolved_at.strftime(STAMP)
    commander = handle(playbook, incident.commander)
    if commander:
        core["commander"] = commander
    facts = dict(incident.facts or {})
    for key in ("impact", "summary"):
        if key in facts:
            core[key] = facts.pop(key)
    if "summary" not in core and incident.summary:
        core["summary"] = incident.summary
    org = playbook.organization
    severity = playbook.severity(incident.severity)
    context: dict[str, Any] = {
        "org": {
            k: v
            for k, v in {
                "name": org.name,
                "support_email": org.support_email,
                "security_email": org.security_email,
            }.items()
            if v
        },
        "incident": core,
        "now": now.strftime(STAMP),
    }
    if org.status_page_url:
        context["status_page_url"] = org.status_page_url
    if playbook.war_room.bridge_url:
        context["war_room_url"] = playbook.war_room.bridge_url
    if severity.postmortem.due is not None:
        context["postmortem_due"] = words(severity.postmortem.due.approx())
    if next_update is not None:
        context["next_update"] = next_update.strftime("%H:%M UTC")
    # Facts and request fields add values; they never replace firebell's or the
    # playbook's own (the war-room bridge link, the status page URL, the next update).
    own = set(context) | RESERVED
    context.update({k: v for k, v in facts.items() if k not in own})
    context.update({k: v for k, v in (extra or {}).items() if k not in own})
    return context
