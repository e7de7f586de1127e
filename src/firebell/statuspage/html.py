"""The public page as HTML (Jinja2, autoescaped, no JavaScript) and its feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment, FileSystemLoader, select_autoescape

from firebell.statuspage import rules
from firebell.statuspage.public_json import View
from firebell.statuspage.rules import PublicIncident, Update, Window

UTC = UTC
TEMPLATES = resources.files("firebell.statuspage") / "templates"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "status.css").read_text()


def when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%b %d, %H:%M UTC").replace(" 0", " ")


def _updates(updates: tuple[Update, ...]) -> list[dict[str, str]]:
    return [
        {
            "status": rules.label(u.status),
            "body": u.body,
            "at": when(u.created_at),
            "iso": u.created_at.isoformat(),
        }
        for u in updates
    ]


def _names(view: View, ids: Any) -> list[str]:
    names = {c.id: c.name for c in view.page.components}
    return [names[i] for i in ids if i in names]


def _incident(view: View, item: PublicIncident) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "impact": item.impact,
        "impact_label": item.impact.capitalize(),
        "components": _names(view, rules.affected(item, view.page)),
        "updates": _updates(item.updates),
        "next_update_by": item.next_update_by.astimezone(UTC).strftime("%H:%M UTC")
        if item.next_update_by
        else None,
        "next_update_by_iso": item.next_update_by.isoformat() if item.next_update_by else "",
    }


def _window(view: View, window: Window) -> dict[str, Any]:
    return {
        "id": window.id,
        "name": window.name,
        "status": rules.label(window.status),
        "start": when(window.scheduled_for),
        "end": when(window.scheduled_until),
        "from_iso": window.scheduled_for.isoformat(),
        "until_iso": window.scheduled_until.isoformat(),
        "components": _names(view, window.components),
        "description": window.description,
    }


def _component(view: View, component_id: str, name: str) -> dict[str, Any]:
    up = rules.uptime(component_id, view.page, view.incidents, view.now, view.page.uptime_days)
    days = []
    for day in up.days:
        text = f"{day.day:%b %d}: " + (
            "; ".join(f"{rules.label(day.status)}: {n}" for _, n in day.incidents)
            if day.incidents
            else "no incidents"
        )
        days.append({"status": day.status, "incidents": day.incidents, "text": text})
    status = view.statuses[component_id]
    return {
        "id": component_id,
        "name": name,
        "status": status,
        "label": rules.label(status),
        "percent": f"{up.percent:.2f}",
        "days": days,
    }


def _groups(view: View) -> list[dict[str, Any]]:
    shown = [
        c
        for c in view.page.components
        if not c.only_show_if_degraded or view.statuses[c.id] != "operational"
    ]
    groups: list[dict[str, Any]] = []
    for group in view.page.groups:
        members = [_component(view, c.id, c.name) for c in shown if c.group == group.id]
        if members:
            status = rules.group_status(m["status"] for m in members)
            groups.append(
                {
                    "name": group.name,
                    "status": status,
                    "label": rules.label(status),
                    "components": members,
                }
            )
    loose = [_component(view, c.id, c.name) for c in shown if c.group is None]
    if loose:
        groups.append({"name": None, "components": loose})
    return groups


def _history(view: View) -> list[dict[str, Any]]:
    today = view.now.astimezone(UTC).date()
    days = []
    for back in range(view.page.history_days):
        day = today - timedelta(days=back)
        items: list[dict[str, Any]] = [
            {"anchor": f"past-{i.id}", "name": i.name, "updates": _updates(i.updates)}
            for i in view.incidents
            if i.created_at.astimezone(UTC).date() == day
        ]
        items += [
            {
                "anchor": f"past-maintenance-{w.id}",
                "name": w.name,
                "updates": _updates(w.updates),
            }
            for w in view.windows
            if w.status == "completed" and w.scheduled_for.astimezone(UTC).date() == day
        ]
        days.append({"label": f"{day:%b %d, %Y}".replace(" 0", " "), "entries": items})
    return days


def render_page(view: View, title: str, base: str) -> str:
    statuses = set(view.statuses.values())
    return (
        _env()
        .get_template("status.html")
        .render(
            title=title,
            base=base,
            css=_css(),
            indicator=view.indicator,
            description=view.description,
            maintenance_only=view.indicator == "none" and "under_maintenance" in statuses,
            incidents=[_incident(view, i) for i in view.incidents if i.open],
            active_windows=[_window(view, w) for w in view.windows if w.active],
            upcoming_windows=[_window(view, w) for w in view.windows if w.status == "scheduled"],
            groups=_groups(view),
            history=_history(view),
            all_components=view.page.components,
            uptime_days=view.page.uptime_days,
            updated=when(view.now),
            updated_iso=view.now.isoformat(),
        )
    )


def feeds(view: View, title: str, page_url: str) -> tuple[bytes, bytes]:
    """Atom and RSS of incidents and maintenance, newest first."""
    fg = FeedGenerator()
    fg.id(page_url)
    fg.title(f"{title} status - incident history")
    fg.link(href=page_url, rel="alternate")
    fg.description(f"Incidents and maintenance of {title}")
    fg.language("en")
    fg.updated(view.updated_at)
    entries: list[tuple[datetime, str, str, tuple[Update, ...], datetime]] = [
        (i.created_at, f"incident-{i.id}", i.name, i.updates, i.updated_at) for i in view.incidents
    ] + [
        (w.scheduled_for, f"maintenance-{w.id}", w.name, w.updates, w.updated_at)
        for w in view.windows
    ]
    for created, anchor, name, updates, updated in sorted(entries, key=lambda e: e[0]):
        entry = fg.add_entry()  # prepends: the newest ends up first
        entry.id(f"{page_url}#{anchor}")
        entry.title(name)
        entry.link(href=f"{page_url}#{anchor}")
        text = "\n\n".join(
            f"{when(u.created_at)} - {rules.label(u.status)}: {u.body}" for u in updates
        )
        entry.content(text or name, type="text")
        entry.description(text or name)
        entry.published(created)
        entry.updated(updated)
    return fg.atom_str(pretty=True), fg.rss_str(pretty=True)
