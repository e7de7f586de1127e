"""What a check found: one typed finding per problem (the console shows the same list)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    check: str  # which check: "contacts", "escalation", "channel:email", "database"...
    level: Level
    message: str  # what is wrong (or right)
    fix: str = ""  # what to do about it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(check: str, message: str) -> Finding:
    return Finding(check, Level.OK, message)


def warning(check: str, message: str, fix: str = "") -> Finding:
    return Finding(check, Level.WARNING, message, fix)


def error(check: str, message: str, fix: str = "") -> Finding:
    return Finding(check, Level.ERROR, message, fix)


def worst(findings: list[Finding]) -> Level:
    levels = {f.level for f in findings}
    for level in (Level.ERROR, Level.WARNING):
        if level in levels:
            return level
    return Level.OK
