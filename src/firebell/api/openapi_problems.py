"""Error responses in the OpenAPI document: every API operation lists the problems it can
answer with, as `application/problem+json` (RFC 9457) with `errors: [{field, reason}]`.

Vendor-compatible intake routes (`/v2/…`, PagerDuty and Opsgenie) answer in their
vendor's error format and keep their own descriptions.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from firebell.api.problems import PROBLEM

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each wrong field and why.",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["field", "reason"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
DESCRIPTIONS = {
    "400": "Bad request",
    "401": "Missing, unknown, expired or revoked token",
    "403": "The token's role does not allow this",
    "404": "Not found (or a private incident the caller may not see)",
    "409": "Conflicts with the current state",
    "413": "The body is larger than the limit",
    "422": "Invalid request: the fields that are wrong and why",
    "429": "Too many requests: retry after `Retry-After` seconds",
}
SKIP_PREFIXES = ("/v2/",)
METHODS = ("get", "post", "put", "patch", "delete")


def codes_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """Which problems an operation can answer with (pure)."""
    codes = ["400", "422", "429"]
    if operation.get("security"):
        codes += ["401", "403"]
    elif path.startswith("/api/"):
        codes.append("401")  # a signature (chat) or a key (intake) instead of a token
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch", "delete"):
        codes.append("409")
    if "requestBody" in operation or method in ("post", "put", "patch"):
        codes.append("413")
    return sorted(codes)


def add_problems(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in schema.get("paths", {}).items():
        if path.startswith(SKIP_PREFIXES) or not path.startswith(("/api/", "/ical/")):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in codes_for(path, method, operation):
                responses[code] = {"description": DESCRIPTIONS[code], "content": content}
    return schema


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with one that documents the problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
