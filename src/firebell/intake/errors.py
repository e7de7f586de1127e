"""The one error every intake parser raises: a list of (field path, reason) problems.

Parsers collect *all* problems in a payload before raising, so a sender fixing a request sees
everything wrong at once. Field paths are written the way a person reads JSON:
``payload.severity``, ``alerts[2].fingerprint``; the whole body is ``$``. Reasons are phrased
to follow the quoted field (``'dedup_key' is missing or blank``), which is also the style of
PagerDuty's own error strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with a payload: where, and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"'{self.field}' {self.reason}"


class IntakeError(ValueError):
    """A payload that cannot be accepted; the HTTP layer answers it with a 4xx naming fields."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[Problem, ...] = tuple(Problem(f, r) for f, r in problems)
        if not self.problems:
            raise ValueError("IntakeError needs at least one problem")
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, field: str, reason: str) -> IntakeError:
        return cls([(field, reason)])

    def as_dicts(self) -> list[dict[str, str]]:
        """A JSON-ready list for firebell's own 4xx bodies: ``[{"field": .., "reason": ..}]``."""
        return [{"field": p.field, "reason": p.reason} for p in self.problems]

    def fields(self) -> list[str]:
        return [p.field for p in self.problems]
