"""The state one intake transaction carries from job to job (see `intake.writer`).

A group-commit batch runs many requests' work in one transaction. What the first job
learns (the open alerts, the active silences, each group's and each service's incident,
all locked) serves the later ones, and new alert rows are inserted together at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firebell.store.models import Alert, Incident, Silence

Identity = tuple[str, str, str]  # (integration, dedup key, fingerprint) as stored


@dataclass
class Batch:
    # Open alerts by identity, found by the prefetch or made earlier in the batch.
    alerts: dict[Identity, Alert] = field(default_factory=dict)
    # Identities the prefetch looked up and found no open alert for.
    absent: set[Identity] = field(default_factory=set)
    # The silences active at the batch's time (read once, when first needed).
    silences: list[Silence] | None = None
    # (integration, or "" for sender keys; group key) -> the group's latest incident
    # (row locked), or None.
    groups: dict[tuple[str, str], Incident | None] = field(default_factory=dict)
    # service -> its open incident that alerts may link to (row locked), or None.
    service_open: dict[str, Incident | None] = field(default_factory=dict)
    # New alert rows, inserted with one statement when the batch ends.
    new_alerts: list[Alert] = field(default_factory=list)

    def remember(self, identity: Identity, alert: Alert) -> None:
        self.alerts[identity] = alert
        self.absent.discard(identity)
