"""A generic JSON webhook, described by a :class:`GenericConfig` → :class:`AlertEvent`.

The config says where things live in the sender's payload (paths as in
:mod:`firebell.intake.paths`):

- ``summary`` (required): a string or number; a missing or blank value is an error naming the
  path.
- ``dedup_key``: when configured, required in every payload. When not configured the summary
  text is the key (``sha256("generic-summary:" + summary)``) — the only stable identity left,
  but it merges unrelated alerts that share a text and splits one alert whose text changes, so
  configure a real key whenever the sender has one. Keys over 255 characters are hashed.
- ``severity``: optional; the value's text becomes ``severity_hint``.
- ``resolve`` / ``acknowledge``: a :class:`StateRule` — path plus the values meaning that action,
  compared as trimmed, case-insensitive text (``true`` matches JSON ``true``). A missing value
  means "not this action". Resolve is checked first; otherwise the event is a trigger.
- ``labels``: optional path to an object whose scalar values become labels.
- ``occurred_at``: optional path to an ISO 8601 string or a number of Unix seconds.

The whole payload is kept as ``details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firebell.intake.event import Action, AlertEvent
from firebell.intake.paths import compile_path, lookup
from firebell.intake.validation import (
    Problems,
    bounded_key,
    json_type,
    parse_timestamp,
    sha256_hex,
    to_text,
)

FORMAT = "generic"


@dataclass(frozen=True)
class StateRule:
    """``path`` holding one of ``values`` means the rule's action (resolve or acknowledge)."""

    path: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        compile_path(self.path)
        if not self.values:
            raise ValueError(f"state rule on {self.path!r} needs at least one value")

    def matches(self, payload: Any) -> bool:
        found, value = lookup(payload, self.path)
        if not found or isinstance(value, dict | list):
            return False
        text = to_text(value).strip().lower()
        return any(text == v.strip().lower() for v in self.values)


@dataclass(frozen=True)
class GenericConfig:
    """Where a sender's payload keeps what firebell needs. Paths are checked on construction."""

    summary: str
    dedup_key: str | None = None
    severity: str | None = None
    resolve: StateRule | None = None
    acknowledge: StateRule | None = None
    labels: str | None = None
    occurred_at: str | None = None
    source: str = FORMAT

    def __post_init__(self) -> None:
        for path in (self.summary, self.dedup_key, self.severity, self.labels, self.occurred_at):
            if path is not None:
                compile_path(path)


def parse_generic(payload: Any, config: GenericConfig) -> AlertEvent:
    """Parse a payload as ``config`` describes; raise IntakeError naming the configured paths."""
    problems = Problems()
    summary = _text(payload, config.summary, "summary", problems, required=True)
    key = None
    if config.dedup_key is not None:
        key = _text(payload, config.dedup_key, "dedup key", problems, required=True)
    severity = None
    if config.severity is not None:
        severity = _text(payload, config.severity, "severity", problems, required=False)
    labels = _labels(payload, config.labels, problems) if config.labels else {}
    occurred_at = _time(payload, config.occurred_at, problems) if config.occurred_at else None
    problems.raise_if_any()

    assert summary is not None
    action: Action = "trigger"
    if config.resolve is not None and config.resolve.matches(payload):
        action = "resolve"
    elif config.acknowledge is not None and config.acknowledge.matches(payload):
        action = "acknowledge"
    if key is None:
        key = sha256_hex(f"generic-summary:{summary}")
    return AlertEvent(
        action=action,
        dedup_key=bounded_key(key),
        summary=summary,
        source=config.source,
        format=FORMAT,
        severity_hint=severity or None,
        labels=labels,
        details=payload if isinstance(payload, dict) else {"payload": payload},
        occurred_at=occurred_at,
    )


def _text(payload: Any, path: str, role: str, problems: Problems, *, required: bool) -> str | None:
    found, value = lookup(payload, path)
    if not found:
        if required:
            problems.add(path, f"is missing (this integration reads the {role} there)")
        return None
    if isinstance(value, dict | list):
        problems.add(path, f"must be a string or number for the {role} (got {json_type(value)})")
        return None
    text = to_text(value).strip()
    if required and not text:
        problems.add(path, f"is blank (this integration reads the {role} there)")
        return None
    return text


def _labels(payload: Any, path: str, problems: Problems) -> dict[str, str]:
    found, value = lookup(payload, path)
    if not found:
        return {}
    if not isinstance(value, dict):
        problems.add(path, f"must be an object of labels (got {json_type(value)})")
        return {}
    return {k: to_text(v) for k, v in value.items() if not isinstance(v, dict | list)}


def _time(payload: Any, path: str, problems: Problems) -> datetime | None:
    found, value = lookup(payload, path)
    if not found:
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        pass
    problems.add(path, "must be an ISO 8601 timestamp or a number of Unix seconds")
    return None
