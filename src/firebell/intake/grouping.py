"""Which incident a new alert belongs to: a pure decision (like `incidents.lifecycle`).

The integration's grouping choice (`playbook.alerting.Grouping`) names the alert's group;
storage tells what became of the group's latest incident (`GroupIncident`), and the
service's open incident. From those and the time, `place` decides:

- the group's incident is open → attach (in `monitoring` the alert is a re-fire: the
  incident goes back to `investigating` and paging restarts from the first level);
- it was resolved within the flapping window → reopen it;
- it was resolved longer ago (or closed) → open a new incident, linked to the old one;
- the group has no incident → open one, linked to the service's open incident if any.

A private (security) incident or a drill is never attached to nor linked from an alert:
the alert opens its own, unlinked. Heartbeats always open their own incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from firebell.incidents.lifecycle import Change, IncidentState, set_status
from firebell.intake.event import AlertEvent
from firebell.playbook.alerting import Grouping


@dataclass(frozen=True)
class GroupIncident:
    """What the decision needs to know about an incident (the group's or the service's)."""

    id: int
    status: str
    declared_at: datetime
    resolved_at: datetime | None
    private: bool = False
    drill: bool = False


@dataclass(frozen=True)
class Attach:
    incident_id: int
    refire: bool  # the incident was in monitoring: back to investigating, page again


@dataclass(frozen=True)
class Reopen:
    incident_id: int


@dataclass(frozen=True)
class Open:
    link_to: int | None = None
    link_reason: Literal["same_service", "refire"] | None = None


Placement = Attach | Reopen | Open


def group_key(grouping: Grouping, event: AlertEvent, labels: dict[str, str], service: str) -> str:
    """The alert's group under the integration's choice. Heartbeats group by their own key."""
    if event.format == "heartbeat" or grouping.by == "sender":
        return "sender:" + event.dedup_key
    if grouping.by == "labels":
        return "labels:" + ",".join(f"{name}={labels.get(name, '')}" for name in grouping.labels)
    return "service:" + service


def _usable(incident: GroupIncident | None) -> GroupIncident | None:
    """An incident an ordinary alert may join or point at."""
    if incident is None or incident.private or incident.drill:
        return None
    return incident


def place(
    grouping: Grouping,
    flapping_window: timedelta,
    group: GroupIncident | None,
    service_open: GroupIncident | None,
    now: datetime,
) -> Placement:
    """Attach, reopen or open (see the module docstring)."""
    group = _usable(group)
    service_open = _usable(service_open)
    if group is not None:
        if group.status in ("investigating", "identified", "monitoring"):
            if grouping.by == "service" and now - group.declared_at > grouping.window.approx():
                return Open(group.id, "same_service")  # past the window: a new incident
            return Attach(group.id, refire=group.status == "monitoring")
        if (
            group.status == "resolved"
            and group.resolved_at is not None
            and now - group.resolved_at <= flapping_window
        ):
            return Reopen(group.id)
        return Open(group.id, "refire")
    if service_open is not None:
        return Open(service_open.id, "same_service")
    return Open()


def refire(state: IncidentState, now: datetime) -> Change:
    """An alert fired again for an incident in monitoring or just resolved: back to
    investigating, and the acknowledgement is cleared so paging can start again (the
    earlier acknowledgement stays on the timeline)."""
    change = set_status(state, "investigating", now)
    fields = {**change.fields, "acknowledged_at": None, "acknowledged_by": None}
    details = {**change.details, "cause": "alert re-fired"}
    if state.acknowledged_at is not None:
        details["acknowledgement_cleared"] = state.acknowledged_at.isoformat()
    return Change(change.kind, fields, details)
