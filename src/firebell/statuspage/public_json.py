"""Statuspage's public API v2 documents (pure): the field names and enums of
https://developer.statuspage.io (public `/api/v2/*.json`), so that tools written for a
Statuspage page read firebell's unchanged.

Ids are strings, as Statuspage's are: a component's playbook id, an incident's number,
`m<number>` for a maintenance window. Timestamps are ISO 8601 with milliseconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firebell.statuspage import rules
from firebell.statuspage.rules import PublicIncident, Window
from firebell.statuspage.schema import ComponentStatus, StatusPage

UTC = UTC
LIMIT = 50  # Statuspage lists the 50 most recent incidents / maintenance windows


def stamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class PageInfo:
    name: str
    url: str
    time_zone: str
    created_at: datetime

    @property
    def id(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class View:
    """Everything the documents are made of, computed once per snapshot."""

    info: PageInfo
    page: StatusPage
    now: datetime
    incidents: tuple[PublicIncident, ...]
    windows: tuple[Window, ...]
    statuses: dict[str, ComponentStatus]
    indicator: str
    description: str
    updated_at: datetime


def make_view(
    info: PageInfo,
    page: StatusPage,
    now: datetime,
    incidents: tuple[PublicIncident, ...],
    windows: tuple[Window, ...],
) -> View:
    statuses = rules.component_statuses(page, incidents, windows)
    indicator, description = rules.indicator(statuses, incidents)
    changes = [i.updated_at for i in incidents] + [w.updated_at for w in windows]
    return View(
        info,
        page,
        now,
        incidents,
        windows,
        statuses,
        indicator,
        description,
        max(changes, default=info.created_at),
    )


def _page(view: View) -> dict[str, Any]:
    info = view.info
    return {
        "id": info.id,
        "name": info.name,
        "url": info.url,
        "time_zone": info.time_zone,
        "updated_at": stamp(view.updated_at),
    }


def _component_changed(view: View, component_id: str) -> datetime:
    touched = [
        i.updated_at for i in view.incidents if component_id in rules.affected(i, view.page)
    ] + [w.updated_at for w in view.windows if component_id in w.components]
    return max(touched, default=view.info.created_at)


def components(view: View) -> list[dict[str, Any]]:
    """Groups and components in one list, as Statuspage serves them: a group is a
    component with `group: true` and its members' ids in `components`."""
    out: list[dict[str, Any]] = []
    position = 0
    created = stamp(view.info.created_at)
    start = view.info.created_at.astimezone(UTC).date().isoformat()
    for group in view.page.groups:
        members = [c for c in view.page.components if c.group == group.id]
        position += 1
        out.append(
            {
                "id": group.id,
                "name": group.name,
                "status": rules.group_status(view.statuses[c.id] for c in members),
                "created_at": created,
                "updated_at": stamp(
                    max(
                        (_component_changed(view, c.id) for c in members),
                        default=view.info.created_at,
                    )
                ),
                "position": position,
                "description": group.description,
                "showcase": False,
                "start_date": None,
                "group_id": None,
                "page_id": view.info.id,
                "group": True,
                "only_show_if_degraded": False,
                "components": [c.id for c in members],
            }
        )
    for component in view.page.components:
        position += 1
        out.append(
            {
                "id": component.id,
                "name": component.name,
                "status": view.statuses[component.id],
                "created_at": created,
                "updated_at": stamp(_component_changed(view, component.id)),
                "position": position,
                "description": component.description,
                "showcase": component.showcase,
                "start_date": start,
                "group_id": component.group,
                "page_id": view.info.id,
                "group": False,
                "only_show_if_degraded": component.only_show_if_degraded,
            }
        )
    return out


def _component_ref(view: View, component_id: str, status: str) -> dict[str, Any] | None:
    component = next((c for c in view.page.components if c.id == component_id), None)
    if component is None:
        return None
    return {
        "id": component.id,
        "name": component.name,
        "status": status,
        "created_at": stamp(view.info.created_at),
        "updated_at": stamp(_component_changed(view, component.id)),
        "position": view.page.components.index(component) + 1 + len(view.page.groups),
        "description": component.description,
        "showcase": component.showcase,
        "start_date": view.info.created_at.astimezone(UTC).date().isoformat(),
        "group_id": component.group,
        "page_id": view.info.id,
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def _affected(
    view: View, touched: dict[str, ComponentStatus], old: str | None, new: str | None
) -> list[dict[str, Any]]:
    names = {c.id: c.name for c in view.page.components}
    return [
        {
            "code": component_id,
            "name": names.get(component_id, component_id),
            "old_status": old or status,
            "new_status": new or status,
        }
        for component_id, status in touched.items()
    ]


def incident(view: View, item: PublicIncident) -> dict[str, Any]:
    touched = rules.affected(item, view.page)
    updates = []
    oldest = item.updates[-1].id if item.updates else None
    for update in item.updates:
        affected: list[dict[str, Any]] | None = None
        if update.id == oldest:
            affected = _affected(view, touched, "operational", None)
        elif update.status == "resolved":
            affected = _affected(view, touched, None, "operational")
        updates.append(
            {
                "id": str(update.id),
                "status": update.status,
                "body": update.body,
                "incident_id": str(item.id),
                "created_at": stamp(update.created_at),
                "updated_at": stamp(update.created_at),
                "display_at": stamp(update.created_at),
                "affected_components": affected or None,
            }
        )
    current = view.statuses if item.open else {}
    return {
        "id": str(item.id),
        "name": item.name,
        "status": item.status,
        "impact": item.impact,
        "created_at": stamp(item.created_at),
        "updated_at": stamp(item.updated_at),
        "started_at": stamp(item.started_at),
        "monitoring_at": stamp(item.monitoring_at),
        "resolved_at": stamp(item.resolved_at),
        "shortlink": f"{view.info.url}#incident-{item.id}",
        "page_id": view.info.id,
        "incident_updates": updates,
        "components": [
            ref
            for component_id, status in touched.items()
            if (ref := _component_ref(view, component_id, current.get(component_id, status)))
        ],
    }


def maintenance(view: View, window: Window) -> dict[str, Any]:
    mid = f"m{window.id}"
    return {
        "id": mid,
        "name": window.name,
        "status": window.status,
        "impact": "maintenance",
        "created_at": stamp(window.created_at),
        "updated_at": stamp(window.updated_at),
        "started_at": stamp(window.scheduled_for),
        "monitoring_at": None,
        "resolved_at": stamp(window.scheduled_until) if window.status == "completed" else None,
        "shortlink": f"{view.info.url}#maintenance-{window.id}",
        "page_id": view.info.id,
        "scheduled_for": stamp(window.scheduled_for),
        "scheduled_until": stamp(window.scheduled_until),
        "incident_updates": [
            {
                "id": f"{mid}-{u.id}",
                "status": u.status,
                "body": u.body,
                "incident_id": mid,
                "created_at": stamp(u.created_at),
                "updated_at": stamp(u.created_at),
                "display_at": stamp(u.created_at),
                "affected_components": _affected(
                    view,
                    {c: "under_maintenance" for c in window.components},
                    "operational" if u.status == "in_progress" else None,
                    "operational" if u.status == "completed" else None,
                )
                or None,
            }
            for u in window.updates
        ],
        "components": [
            ref
            for c in window.components
            if (ref := _component_ref(view, c, view.statuses.get(c, "operational")))
        ],
    }


def documents(view: View) -> dict[str, dict[str, Any]]:
    """Every public JSON document, by path."""
    page = _page(view)
    status = {"indicator": view.indicator, "description": view.description}
    comps = components(view)
    all_incidents = [incident(view, i) for i in view.incidents[:LIMIT]]
    unresolved = [incident(view, i) for i in view.incidents if i.open]
    recent = sorted(view.windows, key=lambda w: w.scheduled_for, reverse=True)[:LIMIT]
    all_windows = [maintenance(view, w) for w in recent]
    upcoming = [maintenance(view, w) for w in view.windows if w.status == "scheduled"]
    active = [maintenance(view, w) for w in view.windows if w.active]
    return {
        "/api/v2/summary.json": {
            "page": page,
            "components": comps,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": status,
        },
        "/api/v2/status.json": {"page": page, "status": status},
        "/api/v2/components.json": {"page": page, "components": comps},
        "/api/v2/incidents.json": {"page": page, "incidents": all_incidents},
        "/api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "/api/v2/scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": all_windows,
        },
        "/api/v2/scheduled-maintenances/upcoming.json": {
            "page": page,
            "scheduled_maintenances": upcoming,
        },
        "/api/v2/scheduled-maintenances/active.json": {
            "page": page,
            "scheduled_maintenances": active,
        },
    }
