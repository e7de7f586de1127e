"""Playbook options for how alerts become incidents: service labels, grouping, re-fires
and what happens when every alert of an incident resolves (see docs/routing.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from firebell.playbook.durations import Span


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grouping(_Strict):
    """Which alerts share one incident.

    - ``sender`` (default): the sender's own group — Alertmanager ``groupKey``, PagerDuty
      ``dedup_key``, Opsgenie ``alias``, Grafana's group, the generic key.
    - ``labels``: alerts whose ``labels`` values are equal (e.g. ``[alertname, cluster]``).
    - ``service``: every alert of the routed service within ``window`` of the incident's
      declaration.

    An alert of another group on a service with an open incident opens its own incident,
    linked to the open one. Heartbeats always open their own incident.
    """

    by: Literal["sender", "labels", "service"] = "sender"
    labels: list[str] = Field(default=[], max_length=20)
    window: Span = Field(default=Span.parse("1h"))

    @model_validator(mode="after")
    def _labels_given(self) -> Grouping:
        if self.by == "labels" and not self.labels:
            raise ValueError("grouping by labels needs 'labels', e.g. [alertname, cluster]")
        return self


class WhenAllResolved(_Strict):
    """What the incident does when its source has resolved every one of its alerts.

    ``unacknowledged``: nobody has acknowledged (an alert that cleared itself) — default
    ``resolve``. ``acknowledged``: someone is working it — default ``monitoring`` (paging
    stops, the commander or the person who acknowledged is told). ``stay`` leaves the
    status as it is (paging still stops)."""

    unacknowledged: Literal["resolve", "monitoring", "stay"] = "resolve"
    acknowledged: Literal["resolve", "monitoring", "stay"] = "monitoring"
