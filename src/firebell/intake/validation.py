"""Typed reads from decoded JSON that record problems instead of raising on the first one.

Only this module and the parsers use it; nothing here knows about any vendor format.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

from firebell.intake.errors import IntakeError, Problem

MISSING = "is missing or blank"


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def child(base: str, key: str | int) -> str:
    """Join a path: (alerts, 0) → ``alerts[0]``; (payload, summary) → ``payload.summary``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if base in ("", "$"):
        return key
    return f"{base}.{key}"


def to_text(value: Any) -> str:
    """A scalar as label text: strings as-is, booleans as ``true``/``false``, numbers via str."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    try:
        return str(value)
    except ValueError:  # an int too long for str() (CPython's digit limit)
        return "<unprintable number>"


MAX_KEY = 255


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of text as UTF-8 (lone surrogates, which JSON can carry, pass through)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def bounded_key(key: str) -> str:
    """A dedup key as given when it fits in 255 characters, else its hex SHA-256."""
    return key if len(key) <= MAX_KEY else sha256_hex(key)


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 / RFC 3339 to an aware UTC datetime; a value without offset is taken as UTC.

    Raises ValueError for anything unparseable (including out-of-range values).
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from exc


class Problems:
    """An accumulator of problems; ``raise_if_any`` turns them into one IntakeError."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append(Problem(field, reason))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise IntakeError(self.items)

    def fail(self) -> NoReturn:
        """Raise what was collected (call only after a problem was added)."""
        raise IntakeError(self.items)


class Reader:
    """Reads fields of one JSON object at ``path``, recording type and presence problems."""

    def __init__(self, obj: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.obj = obj
        self.path = path
        self.problems = problems

    @classmethod
    def of(cls, value: Any, path: str, problems: Problems) -> Reader | None:
        """A Reader if ``value`` is an object, else None with a problem recorded."""
        if isinstance(value, dict):
            return cls(value, path, problems)
        problems.add(path, f"must be an object (got {json_type(value)})")
        return None

    def at(self, key: str) -> str:
        return child(self.path, key)

    def present(self, key: str) -> bool:
        return self.obj.get(key) is not None

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int | None = None,
    ) -> str | None:
        """A string field. Required strings must be non-blank; null counts as absent."""
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), MISSING)
            return None
        if not isinstance(value, str):
            self.problems.add(self.at(key), f"must be a string (got {json_type(value)})")
            return None
        if required and not value.strip():
            self.problems.add(self.at(key), MISSING)
            return None
        if max_len is not None and len(value) > max_len:
            self.problems.add(
                self.at(key), f"must be at most {max_len} characters (got {len(value)})"
            )
            return None
        return value

    def choice(
        self,
        key: str,
        choices: Collection[str],
        *,
        required: bool = False,
        fold_case: bool = False,
    ) -> str | None:
        """A string that must be one of ``choices`` (listed in the error in their given order)."""
        value = self.string(key, required=required)
        if value is None:
            return None
        candidate = value.lower() if fold_case else value
        if candidate not in choices:
            self.problems.add(self.at(key), f"must be one of {', '.join(choices)} (got {value!r})")
            return None
        return candidate

    def obj_field(self, key: str, *, required: bool = False) -> Reader | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), MISSING)
            return None
        return Reader.of(value, self.at(key), self.problems)

    def array(self, key: str, *, required: bool = False) -> list[Any] | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), MISSING)
            return None
        if not isinstance(value, list):
            self.problems.add(self.at(key), f"must be an array (got {json_type(value)})")
            return None
        return value

    def string_map(self, key: str, *, required: bool = False) -> dict[str, str]:
        """An object whose values are all strings (Alertmanager labels and annotations)."""
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), MISSING)
            return {}
        if not isinstance(value, dict):
            self.problems.add(self.at(key), f"must be an object (got {json_type(value)})")
            return {}
        result: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, str):
                result[name] = item
            else:
                self.problems.add(
                    child(self.at(key), name), f"must be a string (got {json_type(item)})"
                )
        return result

    def any_map(self, key: str) -> dict[str, Any]:
        value = self.obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problems.add(self.at(key), f"must be an object (got {json_type(value)})")
            return {}
        return dict(value)

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(self.at(key), f"must be an integer (got {json_type(value)})")
            return None
        if minimum is not None and value < minimum:
            self.problems.add(self.at(key), f"must be at least {minimum}")
            return None
        return value

    def timestamp(self, key: str, *, zero_means_unset: bool = False) -> datetime | None:
        """An RFC 3339 timestamp; Go's zero time (year 1) is "unset" where the format says so."""
        text = self.string(key)
        if text is None:
            return None
        if zero_means_unset and text.startswith("0001-01-01T00:00:00"):
            return None
        try:
            return parse_timestamp(text)
        except ValueError:
            self.problems.add(self.at(key), f"must be an ISO 8601 timestamp (got {text!r})")
            return None
