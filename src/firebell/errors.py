"""Errors the domain raises; the HTTP layer turns them into problem+json, the CLI into text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The request is valid but the incident's current state does not allow it."""

    status = 409
    title = "Conflict"


class Invalid(DomainError):
    status = 422
    title = "Invalid request"

    @classmethod
    def field(cls, field: str, reason: str) -> Invalid:
        return cls(f"{field}: {reason}", [FieldProblem(field, reason)])


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
