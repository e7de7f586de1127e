"""Prometheus Alertmanager webhook (``version: "4"``) → :class:`GroupEvent`.

Dedup is on the group, never on text: every alert of a group gets the same ``dedup_key``,
``sha256(groupKey)`` in hex. That is exactly the ``dedup_key`` Alertmanager's own PagerDuty
receiver sends for the same group, so the same group reaches the same key whichever receiver
delivers it, and the key has a fixed length however long the group's labels are. Two groups
whose alerts have identical summaries still get different keys. Inside the group each alert is
kept by its ``fingerprint`` (Alertmanager's hash of the alert's label set), so a partially
resolved group resolves only the alerts marked ``resolved``.

Unknown fields are accepted (newer Alertmanagers add ``notification_reason`` and others).
``endsAt`` equal to Go's zero time ``0001-01-01T00:00:00Z`` means "not ended".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from firebell.intake.event import AlertEvent, GroupEvent, GroupStatus, Link
from firebell.intake.validation import Problems, Reader, child, sha256_hex

FORMAT = "alertmanager"
WEBHOOK_VERSION = "4"
_STATUSES: tuple[GroupStatus, ...] = ("firing", "resolved")

# Reads format-specific fields of one alert: returns extra details and extra links.
AlertExtras = Callable[[Reader], tuple[dict[str, Any], list[Link]]]


def group_dedup_key(group_key: str) -> str:
    """The dedup key of a group: hex SHA-256 of its ``groupKey``, as Alertmanager's PD receiver."""
    return sha256_hex(group_key)


def alert_summary(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """``annotations.summary`` if given, else ``alertname {label="value", ...}``."""
    summary = annotations.get("summary", "").strip()
    if summary:
        return summary
    name = labels.get("alertname", "").strip()
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "alertname")
    if name and rest:
        return f"{name} {{{rest}}}"
    return name or (f"{{{rest}}}" if rest else "unnamed alert")


def parse_alertmanager(payload: Any) -> GroupEvent:
    """Parse an Alertmanager webhook body; raise IntakeError listing every problem found."""
    problems = Problems()
    root = Reader.of(payload, "$", problems)
    if root is None:
        problems.fail()
    version = root.string("version", required=True)
    if version is not None and version != WEBHOOK_VERSION:
        problems.add("version", f'must be "{WEBHOOK_VERSION}" (got {version!r})')
    group = read_group(root, problems, fmt=FORMAT, extras=None)
    if problems or group is None:  # read_group returns None only after recording a problem
        problems.fail()
    return group


def read_group(
    root: Reader, problems: Problems, *, fmt: str, extras: AlertExtras | None
) -> GroupEvent | None:
    """The Alertmanager-shaped part shared with Grafana's webhook; None if anything was wrong."""
    group_key = root.string("groupKey", required=True)
    status = root.choice("status", _STATUSES, required=True)
    truncated = root.integer("truncatedAlerts", minimum=0)
    receiver = root.string("receiver")
    group_labels = root.string_map("groupLabels")
    common_labels = root.string_map("commonLabels")
    common_annotations = root.string_map("commonAnnotations")
    external_url = root.string("externalURL")
    raw_alerts = root.array("alerts", required=True)

    dedup_key = group_dedup_key(group_key) if group_key is not None else ""
    alerts: list[AlertEvent] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_alerts or []):
        reader = Reader.of(raw, child("alerts", index), problems)
        if reader is None:
            continue
        alert = _read_alert(reader, dedup_key, fmt, extras)
        if alert is None:
            continue
        fingerprint = alert.fingerprint or ""
        if fingerprint in seen:
            problems.add(
                reader.at("fingerprint"),
                f"duplicates the fingerprint of alerts[{seen[fingerprint]}]",
            )
        seen.setdefault(fingerprint, index)
        alerts.append(alert)

    if problems or group_key is None or status is None:
        return None
    return GroupEvent(
        format=fmt,
        group_key=group_key,
        dedup_key=dedup_key,
        status=cast(GroupStatus, status),
        alerts=tuple(alerts),
        truncated_alerts=truncated or 0,
        receiver=receiver,
        group_labels=group_labels,
        common_labels=common_labels,
        common_annotations=common_annotations,
        external_url=external_url,
    )


def _read_alert(
    reader: Reader, dedup_key: str, fmt: str, extras: AlertExtras | None
) -> AlertEvent | None:
    before = len(reader.problems.items)
    status = reader.choice("status", _STATUSES, required=True)
    labels = reader.string_map("labels", required=True)
    annotations = reader.string_map("annotations")
    starts_at = reader.timestamp("startsAt", zero_means_unset=True)
    ends_at = reader.timestamp("endsAt", zero_means_unset=True)
    generator_url = reader.string("generatorURL")
    fingerprint = reader.string("fingerprint", required=True)
    extra_details, extra_links = extras(reader) if extras is not None else ({}, [])
    if len(reader.problems.items) > before or status is None or fingerprint is None:
        return None

    links: list[Link] = []
    if generator_url:
        links.append(Link(generator_url, "Source"))
    runbook = annotations.get("runbook_url")
    if runbook:
        links.append(Link(runbook, "Runbook"))
    links.extend(extra_links)
    resolved = status == "resolved"
    return AlertEvent(
        action="resolve" if resolved else "trigger",
        dedup_key=dedup_key,
        summary=alert_summary(labels, annotations),
        source=fmt,
        format=fmt,
        severity_hint=labels.get("severity") or None,
        labels=labels,
        details={
            "annotations": annotations,
            "starts_at": starts_at.isoformat() if starts_at else None,
            "ends_at": ends_at.isoformat() if ends_at else None,
            **extra_details,
        },
        links=tuple(links),
        occurred_at=(ends_at or starts_at) if resolved else starts_at,
        fingerprint=fingerprint,
    )
