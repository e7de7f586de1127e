"""What the public sees, as pure functions of (public incidents, maintenance, playbook, now).

- An open public incident sets the status of the components tied to its service from its
  impact (`status_page.impact_status`); a responder's override for a component wins.
- A maintenance window in progress puts its components `under_maintenance`, unless an
  incident makes them worse.
- The page's indicator is the worst of the components and of the open incidents' impacts.
- Uptime, per component and day, weighs a major outage fully and a partial outage at 30 %
  (Statuspage's published weighting); degraded performance and maintenance count as up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from firebell.statuspage.schema import ComponentStatus, Impact, StatusPage

RANK: dict[str, int] = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}
IMPACT_RANK: dict[str, int] = {"none": 0, "minor": 1, "major": 2, "critical": 3}
STATUS_INDICATOR: dict[str, Impact] = {
    "operational": "none",
    "under_maintenance": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
DESCRIPTION: dict[str, str] = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
UNDER_MAINTENANCE = "Service Under Maintenance"
OUTAGE_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
OPEN = frozenset({"investigating", "identified", "monitoring"})
UTC = UTC


@dataclass(frozen=True)
class Update:
    id: int
    status: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class PublicIncident:
    """An incident as the public may see it (already filtered: not private, not a
    drill, at least one status-page update sent)."""

    id: int
    name: str
    service: str | None
    impact: Impact
    status: str  # Statuspage's word: investigating | identified | monitoring | resolved
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[Update, ...]  # newest first
    overrides: tuple[tuple[str, ComponentStatus], ...] = ()  # oldest first
    next_update_by: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Window:
    """A maintenance window as the public sees it."""

    id: int
    name: str
    status: str  # scheduled | in_progress | verifying | completed
    components: tuple[str, ...]
    scheduled_for: datetime
    scheduled_until: datetime
    created_at: datetime
    updated_at: datetime
    updates: tuple[Update, ...]  # newest first
    description: str = ""

    @property
    def active(self) -> bool:
        return self.status in ("in_progress", "verifying")


def label(status: str) -> str:
    """Statuspage's words for people: `partial_outage` -> `Partial outage`."""
    return status.replace("_", " ").capitalize()


def affected(incident: PublicIncident, page: StatusPage) -> dict[str, ComponentStatus]:
    """The components an incident touches and how badly, whatever its status now."""
    derived = page.impact_status.get(incident.impact, "operational")
    result: dict[str, ComponentStatus] = {}
    if incident.service is not None and derived != "operational":
        for component in page.components:
            if incident.service in component.services:
                result[component.id] = derived
    for component_id, status in incident.overrides:
        if status == "operational":
            result.pop(component_id, None)
        else:
            result[component_id] = status
    return result


def worst(statuses: Iterable[str]) -> ComponentStatus:
    found: ComponentStatus = "operational"
    for status in statuses:
        if RANK[status] > RANK[found]:
            found = status  # type: ignore[assignment]
    return found


def component_statuses(
    page: StatusPage, incidents: Sequence[PublicIncident], windows: Sequence[Window]
) -> dict[str, ComponentStatus]:
    current: dict[str, list[str]] = {c.id: [] for c in page.components}
    for incident in incidents:
        if incident.open:
            for component_id, status in affected(incident, page).items():
                current.setdefault(component_id, []).append(status)
    for window in windows:
        if window.active:
            for component_id in window.components:
                current.setdefault(component_id, []).append("under_maintenance")
    return {component_id: worst(found) for component_id, found in current.items()}


def indicator(
    statuses: dict[str, ComponentStatus], incidents: Sequence[PublicIncident]
) -> tuple[Impact, str]:
    """The page's indicator and its description, from the worst component and the worst
    open incident's impact."""
    level: Impact = "none"
    for value in [STATUS_INDICATOR[s] for s in statuses.values()] + [
        i.impact for i in incidents if i.open
    ]:
        if IMPACT_RANK[value] > IMPACT_RANK[level]:
            level = value
    if level == "none" and "under_maintenance" in statuses.values():
        return level, UNDER_MAINTENANCE
    return level, DESCRIPTION[level]


def group_status(members: Iterable[ComponentStatus]) -> ComponentStatus:
    return worst(members)


# --- uptime ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    status: ComponentStatus  # the worst status the component had that day
    down_seconds: float  # weighted
    incidents: tuple[tuple[int, str], ...] = ()  # (id, name)


@dataclass(frozen=True)
class Uptime:
    days: tuple[Day, ...]  # oldest first
    percent: float


@dataclass
class _Acc:
    status: ComponentStatus = "operational"
    down: float = 0.0
    incidents: list[tuple[int, str]] = field(default_factory=list)


def uptime(
    component_id: str,
    page: StatusPage,
    incidents: Sequence[PublicIncident],
    now: datetime,
    days: int,
) -> Uptime:
    """Per UTC day over the last `days` days (today included, counted up to `now`)."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    cells = {first + timedelta(days=i): _Acc() for i in range(days)}
    for incident in incidents:
        status = affected(incident, page).get(component_id)
        if status is None:
            continue
        start, end = incident.started_at, incident.resolved_at or now
        for day, acc in cells.items():
            day_start = datetime.combine(day, time(), UTC)
            overlap = min(end, day_start + timedelta(days=1), now) - max(start, day_start)
            if overlap <= timedelta(0):
                continue
            acc.down += overlap.total_seconds() * OUTAGE_WEIGHT.get(status, 0.0)
            acc.status = worst([acc.status, status])
            acc.incidents.append((incident.id, incident.name))
    elapsed = (now - datetime.combine(first, time(), UTC)).total_seconds()
    down = sum(acc.down for acc in cells.values())
    percent = 100.0 if elapsed <= 0 else max(0.0, 100.0 * (1 - down / elapsed))
    return Uptime(
        tuple(Day(d, a.status, a.down, tuple(a.incidents)) for d, a in sorted(cells.items())),
        round(percent, 2),
    )
