"""PagerDuty Events API v2 (``POST /v2/enqueue``) → :class:`AlertEvent`.

Required fields follow PagerDuty: ``routing_key`` and ``event_action`` always; for ``trigger``
also ``payload.summary``, ``payload.source`` and ``payload.severity``; for ``acknowledge`` and
``resolve``, ``dedup_key``. A trigger without ``dedup_key`` gets one from the injected
``new_key`` (PagerDuty generates one too and returns it in the 202). ``payload`` on an
acknowledge/resolve is optional, and checked the same way when present (Alertmanager sends one).

``routing_key`` is only checked to be a non-blank string: whether it names an integration is
the HTTP layer's business. ``payload.component``/``group``/``class`` become labels (so routing
rules can match them); ``custom_details`` becomes ``details`` (an object as-is, anything else
under ``details["custom_details"]``); ``images`` go to ``details["images"]``.

Invalid events are answered the PagerDuty way: :func:`pagerduty_error_body` renders the 400
body ``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

from firebell.intake.errors import IntakeError
from firebell.intake.event import ACTIONS, Action, AlertEvent, Link
from firebell.intake.validation import Problems, Reader, child

FORMAT = "pagerduty"
SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255


def new_dedup_key() -> str:
    """The default key generator: 32 hex digits, like PagerDuty's own."""
    return uuid.uuid4().hex


def parse_pagerduty(payload: Any, *, new_key: Callable[[], str] = new_dedup_key) -> AlertEvent:
    """Parse one Events API v2 event; raise IntakeError listing every problem found."""
    problems = Problems()
    root = Reader.of(payload, "$", problems)
    if root is None:
        problems.fail()

    root.string("routing_key", required=True)
    action = root.choice("event_action", ACTIONS, required=True)
    needs_key = action in ("acknowledge", "resolve")
    dedup_key = root.string("dedup_key", required=needs_key, max_len=MAX_DEDUP_KEY)
    if dedup_key is not None and not dedup_key.strip():
        dedup_key = None  # a blank key on a trigger is no key: one is generated
    client = root.string("client")
    client_url = root.string("client_url")
    links = _links(root)
    images = _images(root)

    body = root.obj_field("payload", required=action == "trigger")
    summary = source = severity = None
    occurred_at = None
    labels: dict[str, str] = {}
    details: dict[str, Any] = {}
    if body is not None:
        is_trigger = action == "trigger"
        summary = body.string("summary", required=is_trigger, max_len=MAX_SUMMARY)
        source = body.string("source", required=is_trigger)
        severity = body.choice("severity", SEVERITIES, required=is_trigger)
        occurred_at = body.timestamp("timestamp")
        for name in ("component", "group", "class"):
            value = body.string(name)
            if value:
                labels[name] = value
        custom = body.obj.get("custom_details")
        if isinstance(custom, dict):
            details.update(custom)
        elif custom is not None:
            details["custom_details"] = custom
    if images:
        details["images"] = images
    problems.raise_if_any()

    if client_url:
        links.append(Link(client_url, client or "Client"))
    return AlertEvent(
        action=cast(Action, action),
        dedup_key=dedup_key if dedup_key is not None else new_key(),
        summary=summary or "",
        source=source or FORMAT,
        format=FORMAT,
        severity_hint=severity,
        labels=labels,
        details=details,
        links=tuple(links),
        occurred_at=occurred_at,
    )


def pagerduty_error_body(error: IntakeError) -> dict[str, Any]:
    """The body of PagerDuty's 400 answer for an invalid event."""
    return {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [str(p) for p in error.problems],
    }


def _links(root: Reader) -> list[Link]:
    links: list[Link] = []
    for index, raw in enumerate(root.array("links") or []):
        item = Reader.of(raw, child("links", index), root.problems)
        if item is None:
            continue
        href = item.string("href", required=True)
        text = item.string("text")
        if href is not None:
            links.append(Link(href, text or ""))
    return links


def _images(root: Reader) -> list[dict[str, str]]:
    images: list[dict[str, str]] = []
    for index, raw in enumerate(root.array("images") or []):
        item = Reader.of(raw, child("images", index), root.problems)
        if item is None:
            continue
        image = {"src": item.string("src", required=True)}
        image["href"] = item.string("href")
        image["alt"] = item.string("alt")
        images.append({k: v for k, v in image.items() if v is not None})
    return images
