"""Opsgenie Alert API (create, acknowledge, close) → :class:`AlertEvent`.

- Create (``POST /v2/alerts``): ``message`` is required (at most 130 characters). ``alias`` is
  the dedup key. Opsgenie deduplicates only when an alias is given, so a create without one gets
  a fresh key from the injected ``new_alias``: every such create is a new alert, as in Opsgenie.
  ``priority`` P1 to P5 defaults to P3 and is kept as the ``severity_hint``; tags written
  ``key:value`` also become labels so routing rules can match them.
- Acknowledge / close (``POST /v2/alerts/{identifier}/acknowledge|close?identifierType=...``,
  body ``{"user", "source", "note"}``, all optional): firebell identifies alerts by alias only.
  Opsgenie's ``identifierType`` is ``id``, ``tiny`` or ``alias`` and **defaults to ``id``** when
  omitted; firebell has no Opsgenie ids, so ``id`` (and therefore an omitted parameter) and
  ``tiny`` are refused with an error telling the sender to add ``identifierType=alias``.
  Silently reading an id as an alias would act on the wrong alert or on none.

Error field names: ``identifier`` for the path parameter, ``identifierType`` for the query
parameter, body fields by their names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from firebell.intake.event import AlertEvent
from firebell.intake.pagerduty import new_dedup_key
from firebell.intake.validation import Problems, Reader, child, json_type

FORMAT = "opsgenie"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
DEFAULT_PRIORITY = "P3"
IDENTIFIER_TYPES = ("id", "alias", "tiny")
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_TAGS = 20
MAX_TAG = 50
MAX_ACTIONS = 10
_LIMITS = {"description": 15000, "entity": 512, "source": 100, "user": 100, "note": 25000}


def parse_opsgenie_create(
    payload: Any, *, new_alias: Callable[[], str] = new_dedup_key
) -> AlertEvent:
    """Parse a create-alert body; raise IntakeError listing every problem found."""
    problems = Problems()
    root = Reader.of(payload, "$", problems)
    if root is None:
        problems.fail()
    message = root.string("message", required=True, max_len=MAX_MESSAGE)
    alias = root.string("alias", max_len=MAX_ALIAS)
    texts = {name: root.string(name, max_len=limit) for name, limit in _LIMITS.items()}
    priority = root.choice("priority", PRIORITIES) or DEFAULT_PRIORITY
    tags = _strings(root, "tags", max_items=MAX_TAGS, max_len=MAX_TAG)
    actions = _strings(root, "actions", max_items=MAX_ACTIONS, max_len=MAX_TAG)
    custom = root.any_map("details")
    responders = root.array("responders")
    visible_to = root.array("visibleTo")
    problems.raise_if_any()

    labels = {"priority": priority}
    if texts["entity"]:
        labels["entity"] = texts["entity"]
    for tag in tags:
        key, sep, value = tag.partition(":")
        if sep and key.strip():
            labels.setdefault(key.strip(), value.strip())
    details: dict[str, Any] = {"details": custom, "tags": tags}
    optional: tuple[tuple[str, Any], ...] = (
        ("description", texts["description"]),
        ("note", texts["note"]),
        ("user", texts["user"]),
        ("actions", actions or None),
        ("responders", responders),
        ("visibleTo", visible_to),
    )
    for name, value in optional:
        if value:
            details[name] = value
    return AlertEvent(
        action="trigger",
        dedup_key=alias if alias and alias.strip() else new_alias(),
        summary=message or "",
        source=texts["source"] or FORMAT,
        format=FORMAT,
        severity_hint=priority,
        labels=labels,
        details=details,
    )


def parse_opsgenie_action(
    action: Literal["acknowledge", "close"],
    identifier: Any,
    identifier_type: str | None,
    payload: Any,
) -> AlertEvent:
    """Parse an acknowledge or close request (path identifier, query type, optional body)."""
    problems = Problems()
    alias: str | None = None
    if not isinstance(identifier, str) or not identifier.strip():
        problems.add("identifier", "is missing or blank")
    elif len(identifier) > MAX_ALIAS:
        problems.add("identifier", f"must be at most {MAX_ALIAS} characters")
    else:
        alias = identifier
    kind = "id" if identifier_type is None else identifier_type
    if kind not in IDENTIFIER_TYPES:
        problems.add("identifierType", f"must be one of {', '.join(IDENTIFIER_TYPES)}")
    elif kind != "alias":
        omitted = (
            " (Opsgenie's default when identifierType is omitted)"
            if identifier_type is None
            else ""
        )
        problems.add(
            "identifierType",
            f"{kind!r}{omitted} is not supported: firebell identifies alerts by alias; "
            "send identifierType=alias",
        )
    body: dict[str, str] = {}
    if payload is not None:
        root = Reader.of(payload, "$", problems)
        if root is not None:
            for name in ("user", "source", "note"):
                value = root.string(name, max_len=_LIMITS[name])
                if value:
                    body[name] = value
    problems.raise_if_any()
    assert alias is not None
    return AlertEvent(
        action="acknowledge" if action == "acknowledge" else "resolve",
        dedup_key=alias,
        summary=body.get("note", ""),
        source=body.get("source", FORMAT),
        format=FORMAT,
        details=dict(body),
    )


def _strings(root: Reader, key: str, *, max_items: int, max_len: int) -> list[str]:
    items = root.array(key)
    if items is None:
        return []
    if len(items) > max_items:
        root.problems.add(root.at(key), f"must have at most {max_items} items (got {len(items)})")
    result: list[str] = []
    for index, item in enumerate(items):
        path = child(root.at(key), index)
        if not isinstance(item, str):
            root.problems.add(path, f"must be a string (got {json_type(item)})")
        elif len(item) > max_len:
            root.problems.add(path, f"must be at most {max_len} characters")
        else:
            result.append(item)
    return result
