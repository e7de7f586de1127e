"""The words of a page. Plain and short: it is read on a phone at 3 a.m."""

from __future__ import annotations

from firebell.store.models import Incident


def page_subject(incident: Incident) -> str:
    return f"[firebell] {incident.severity} #{incident.id}: {incident.title}"


def page_body(incident: Incident, level_name: str) -> str:
    lines = [
        f"{incident.severity} incident #{incident.id}: {incident.title}",
        f"Status: {incident.status}",
        f"Service: {incident.service or '-'}",
        f"Paged as: {level_name}",
    ]
    if incident.summary:
        lines += ["", incident.summary]
    lines += ["", f"Acknowledge: firebell ack {incident.id}"]
    return "\n".join(lines)


def nobody_body(incident: Incident, level_name: str) -> str:
    return (
        f"Nobody is on call for '{level_name}' while paging incident #{incident.id} "
        f"({incident.severity}: {incident.title}). firebell moved on to the next level. "
        "Fix the schedule or add an override."
    )
