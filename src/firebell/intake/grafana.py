"""Grafana → :class:`GroupEvent` (alerting webhook) or :class:`AlertEvent` (formatted webhook).

- **Alerting webhook contact point** (unified alerting): Alertmanager's shape plus ``orgId``,
  ``title``, ``state``, ``message`` at the top and ``values``, ``valueString``,
  ``dashboardURL``, ``panelURL``, ``silenceURL``, ``imageURL`` per alert. Parsed by the same
  code as Alertmanager, with the same dedup rule (``sha256(groupKey)``, per-alert
  fingerprints). Grafana sends ``version: "1"``; the version is not checked.
- **Formatted webhook** (``alert_uid``, ``title``, ``image_url``, ``state``,
  ``link_to_upstream_details``, ``message``; all optional): ``state`` ``ok`` resolves,
  ``alerting`` (or no state) triggers, case-insensitively. The dedup key is ``alert_uid``; with
  none, ``sha256("grafana-title:" + title)`` so the same titled alert keeps one key (all
  title-less, uid-less alerts share a single key: give your alerts a uid or a title).

:func:`parse_grafana` picks between the two by the presence of ``alerts``.
"""

from __future__ import annotations

from typing import Any

from firebell.intake.alertmanager import read_group
from firebell.intake.event import AlertEvent, GroupEvent, Link
from firebell.intake.validation import Problems, Reader, bounded_key, sha256_hex, to_text

FORMAT = "grafana"
FORMATTED_STATES = ("ok", "alerting")
_ALERT_URLS = (
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
    ("imageURL", "Image"),
)


def parse_grafana(payload: Any) -> GroupEvent | AlertEvent:
    """Either Grafana webhook: the alerting one when the body has ``alerts``."""
    if isinstance(payload, dict) and "alerts" in payload:
        return parse_grafana_alerting(payload)
    return parse_grafana_formatted(payload)


def parse_grafana_alerting(payload: Any) -> GroupEvent:
    problems = Problems()
    root = Reader.of(payload, "$", problems)
    if root is None:
        problems.fail()
    extra: dict[str, Any] = {}
    org_id = root.integer("orgId")
    if org_id is not None:
        extra["orgId"] = org_id
    for name in ("title", "state", "message"):
        value = root.string(name)
        if value is not None:
            extra[name] = value
    group = read_group(root, problems, fmt=FORMAT, extras=_alert_extras)
    if problems or group is None:
        problems.fail()
    return GroupEvent(
        format=group.format,
        group_key=group.group_key,
        dedup_key=group.dedup_key,
        status=group.status,
        alerts=group.alerts,
        truncated_alerts=group.truncated_alerts,
        receiver=group.receiver,
        group_labels=group.group_labels,
        common_labels=group.common_labels,
        common_annotations=group.common_annotations,
        external_url=group.external_url,
        extra=extra,
    )


def parse_grafana_formatted(payload: Any) -> AlertEvent:
    problems = Problems()
    root = Reader.of(payload, "$", problems)
    if root is None:
        problems.fail()
    uid = _uid(root)
    title = root.string("title")
    message = root.string("message")
    image_url = root.string("image_url")
    upstream = root.string("link_to_upstream_details")
    state = root.choice("state", FORMATTED_STATES, fold_case=True)
    problems.raise_if_any()

    key = bounded_key(uid) if uid else sha256_hex(f"grafana-title:{title or ''}")
    links = [
        Link(href, text) for href, text in ((upstream, "Details"), (image_url, "Image")) if href
    ]
    first_line = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    details: dict[str, Any] = {"message": message} if message else {}
    if image_url:
        details["image_url"] = image_url
    return AlertEvent(
        action="resolve" if state == "ok" else "trigger",
        dedup_key=key,
        summary=(title or "").strip() or first_line or "Grafana alert",
        source=FORMAT,
        format=FORMAT,
        details=details,
        links=tuple(links),
    )


def _uid(root: Reader) -> str | None:
    value = root.obj.get("alert_uid")
    if isinstance(value, int) and not isinstance(value, bool):
        return to_text(value)
    return root.string("alert_uid")


def _alert_extras(alert: Reader) -> tuple[dict[str, Any], list[Link]]:
    details: dict[str, Any] = {}
    values = alert.any_map("values")
    if values:
        details["values"] = values
    value_string = alert.string("valueString")
    if value_string:
        details["value_string"] = value_string
    links = []
    for key, text in _ALERT_URLS:
        href = alert.string(key)
        if href:
            links.append(Link(href, text))
    return details, links
