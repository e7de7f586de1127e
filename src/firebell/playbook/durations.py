"""Durations as people write them in a playbook: ``5m``, ``1h``, ``48h``, ``1w``, ``1bd``.

A *business day* (``bd``) cannot be turned into a fixed number of seconds, because
it depends on the calendar: the seed's P3 response time is "next business day".
So a `Span` keeps the unit it was written in and answers `after(start)` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|bd)\s*$")


@dataclass(frozen=True)
class Span:
    """A length of time; `business_days` is set instead of `delta` for ``Nbd`` spans."""

    delta: timedelta = timedelta(0)
    business_days: int = 0

    @classmethod
    def parse(cls, text: str) -> Span:
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(
                f"'{text}' is not a duration; write a number and a unit: "
                "s, m, h, d, w or bd (business days), e.g. 15m, 4h, 1w, 1bd"
            )
        amount, unit = float(match.group(1)), match.group(2)
        if unit == "bd":
            if amount != int(amount):
                raise ValueError(f"'{text}': business days must be a whole number")
            return cls(business_days=int(amount))
        return cls(delta=_UNITS[unit] * amount)

    def after(self, start: datetime) -> datetime:
        """The instant this span after `start` (business days skip Saturday and Sunday)."""
        if not self.business_days:
            return start + self.delta
        current, left = start, self.business_days
        while left:
            current += timedelta(days=1)
            if current.weekday() < 5:
                left -= 1
        return current

    def approx(self) -> timedelta:
        """A fixed-length stand-in, for ordering and display (a business day counts 24 h)."""
        return self.delta + timedelta(days=self.business_days)

    def __str__(self) -> str:
        if self.business_days:
            return f"{self.business_days}bd"
        seconds = int(self.delta.total_seconds())
        for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Span:
            if isinstance(value, Span):
                return value
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError("must be a duration such as 15m, 4h, 1w or 1bd")
            if isinstance(value, int):
                return cls(delta=timedelta(seconds=value))
            return cls.parse(value)

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )
