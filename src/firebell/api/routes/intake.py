"""Alert intake endpoints, each speaking its sender's own dialect.

The hot path is lean on purpose (raw body, `json.loads`, the format's own parser, one
transaction): no pydantic request model, so a large alert storm costs little CPU. The
2xx is sent only after the transaction that stored the event has committed; if the
database cannot be reached the answer is 503, so the sender retries.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from firebell.api.problems import problem
from firebell.api.ratelimit import retry_after
from firebell.api.security import runtime_of
from firebell.intake import jobs
from firebell.intake.alertmanager import parse_alertmanager
from firebell.intake.errors import IntakeError
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.generic import parse_generic
from firebell.intake.grafana import parse_grafana
from firebell.intake.ingest import Outcome
from firebell.intake.integrations import LiveIntegration
from firebell.intake.opsgenie import parse_opsgenie_action, parse_opsgenie_create
from firebell.intake.pagerduty import pagerduty_error_body, parse_pagerduty
from firebell.runtime import Runtime

router = APIRouter(tags=["intake"])
PAGERDUTY_LIMIT = 512 * 1024
DEFAULT_LIMIT = 1024 * 1024
PARSE_INLINE_LIMIT = 64 * 1024  # bigger bodies are parsed in a worker thread


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def decode(body: bytes) -> Any:
    """JSON or an IntakeError that says why not."""
    if not body.strip():
        raise IntakeError.single("$", "the body is empty; send a JSON document")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntakeError.single("$", f"the body is not valid JSON: {exc}") from None


async def commit(
    store: Awaitable[Outcome], on_error: Callable[[int, str], Response]
) -> Outcome | Response:
    try:
        return await store
    except SQLAlchemyError as exc:
        # Nothing of the failed part was committed; 503 tells the sender to retry.
        return on_error(503, f"the database is unavailable ({type(exc).__name__}); retry")


def limited(runtime: Runtime, integration: LiveIntegration) -> float:
    options = integration.spec.options
    return runtime.rate_limits.take(
        integration.id, options.rate_limit_per_minute, options.rate_limit_burst
    )


def _problem_error(status: int, detail: str) -> Response:
    headers = {"Retry-After": "5"} if status == 503 else None
    return problem(
        status, "Service unavailable" if status == 503 else "Error", detail, headers=headers
    )


def _intake_problem(exc: IntakeError) -> Response:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(422, "Invalid alert payload", detail, errors)


def _summary(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": "ok",
        "created": outcome.created,
        "updated": outcome.updated,
        "acknowledged": outcome.acknowledged,
        "resolved": outcome.resolved,
        "dropped": outcome.dropped,
        "silenced": outcome.silenced,
        "incidents": sorted(outcome.incidents),
    }


async def _keyed_intake(
    request: Request, key: str, fmt: str, parse: Callable[[Any, LiveIntegration], Any]
) -> Response:
    """Shared path of the formats whose key is in the URL."""
    runtime = runtime_of(request)
    integration = runtime.integrations.find(key, fmt)
    if integration is None:
        return problem(404, "Unknown integration", f"no {fmt} integration has this key")
    if (wait := limited(runtime, integration)) > 0:
        return problem(
            429,
            "Too many requests",
            f"integration '{integration.id}' is over its rate limit",
            headers={"Retry-After": retry_after(wait)},
        )
    try:
        body = await read_body(request, DEFAULT_LIMIT)
        if len(body) > PARSE_INLINE_LIMIT:  # a big payload is parsed off the event loop
            parsed = await run_in_threadpool(lambda: parse(decode(body), integration))
        else:
            parsed = parse(decode(body), integration)
    except BodyTooLarge:
        return problem(413, "Payload too large", f"the limit is {DEFAULT_LIMIT} bytes")
    except IntakeError as exc:
        return _intake_problem(exc)
    if isinstance(parsed, GroupEvent):
        store = jobs.store(runtime, integration, list(parsed.alerts), parsed)
    else:
        store = jobs.store(runtime, integration, [parsed])
    result = await commit(store, _problem_error)
    if isinstance(result, Response):
        return result
    return JSONResponse(_summary(result))


@router.post("/api/v1/intake/alertmanager/{key}")
async def alertmanager(key: str, request: Request) -> Response:
    """Prometheus Alertmanager `webhook_configs` (payload version 4)."""
    return await _keyed_intake(request, key, "alertmanager", lambda p, _i: parse_alertmanager(p))


@router.post("/api/v1/intake/grafana/{key}")
async def grafana(key: str, request: Request) -> Response:
    """Grafana alerting webhook contact point, or the formatted webhook."""
    return await _keyed_intake(request, key, "grafana", lambda p, _i: parse_grafana(p))


@router.post("/api/v1/intake/generic/{key}")
async def generic(key: str, request: Request) -> Response:
    """Any JSON; the integration's options say where summary, key, severity and state live."""

    def parse(payload: Any, integration: LiveIntegration) -> AlertEvent:
        assert integration.generic is not None
        return parse_generic(payload, integration.generic)

    return await _keyed_intake(request, key, "generic", parse)


@router.get("/api/v1/intake/heartbeat/{key}", operation_id="heartbeat_ping_get")
@router.post("/api/v1/intake/heartbeat/{key}", operation_id="heartbeat_ping_post")
async def heartbeat(key: str, request: Request) -> Response:
    """A ping. Silence past the interval plus grace opens one alert; the next ping resolves it."""
    runtime = runtime_of(request)
    integration = runtime.integrations.find(key, "heartbeat")
    if integration is None:
        return problem(404, "Unknown integration", "no heartbeat integration has this key")

    result = await commit(jobs.ping(runtime, integration), _problem_error)
    if isinstance(result, Response):
        return result
    return JSONResponse(_summary(result))


# --- PagerDuty Events API v2 --------------------------------------------------------------


def _pd_error(status: int, message: str, errors: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "invalid event" if status == 400 else "error",
        "message": message,
    }
    if errors:
        body["errors"] = errors
    headers = {"Retry-After": "5"} if status in (429, 503) else None
    return JSONResponse(body, status_code=status, headers=headers)


@router.post("/v2/enqueue", status_code=202)
async def pagerduty_enqueue(request: Request) -> Response:
    """PagerDuty Events API v2: change only the URL of an existing PagerDuty sender."""
    runtime = runtime_of(request)
    try:
        body = await read_body(request, PAGERDUTY_LIMIT)
        payload = decode(body)
        event = parse_pagerduty(payload)
    except BodyTooLarge:
        return _pd_error(413, f"Request body is larger than {PAGERDUTY_LIMIT} bytes")
    except IntakeError as exc:
        return JSONResponse(pagerduty_error_body(exc), status_code=400)
    integration = runtime.integrations.find(str(payload.get("routing_key", "")), "pagerduty")
    if integration is None:
        return _pd_error(
            400, "Event object is invalid", ["routing_key: no PagerDuty integration has this key"]
        )
    if (wait := limited(runtime, integration)) > 0:
        response = _pd_error(429, "Too many requests")
        response.headers["Retry-After"] = retry_after(wait)
        return response
    result = await commit(
        jobs.store(runtime, integration, [event]),
        lambda status, detail: _pd_error(status, detail),
    )
    if isinstance(result, Response):
        return result
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key},
        status_code=202,
    )


# --- Opsgenie Alert API ---------------------------------------------------------------------


def _og(
    status: int, message: str, started: float, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    # Opsgenie answers {"result": ...} on success and {"message": ...} on errors.
    body: dict[str, Any] = {
        "result" if status == 202 else "message": message,
        "took": round(time.perf_counter() - started, 3),
        "requestId": str(uuid.uuid4()),
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers={"Retry-After": "5"} if status in (429, 503) else None
    )


def _genie(request: Request, runtime: Runtime, started: float) -> LiveIntegration | Response:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "geniekey" or not key.strip():
        return _og(401, "Authorization header must be 'GenieKey <integration key>'", started)
    integration = runtime.integrations.find(key, "opsgenie")
    if integration is None:
        return _og(401, "Key is not valid for any Opsgenie integration", started)
    if limited(runtime, integration) > 0:
        return _og(429, "Too many requests", started)
    return integration


async def _opsgenie(request: Request, parse: Callable[[Any], AlertEvent]) -> Response:
    started = time.perf_counter()
    runtime = runtime_of(request)
    found = _genie(request, runtime, started)
    if isinstance(found, Response):
        return found
    integration = found
    try:
        body = await read_body(request, DEFAULT_LIMIT)
        event = parse(decode(body) if body.strip() else {})
    except BodyTooLarge:
        return _og(413, f"Request body is larger than {DEFAULT_LIMIT} bytes", started)
    except IntakeError as exc:
        errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        return _og(422, "; ".join(f"{e['field']}: {e['reason']}" for e in errors), started, errors)
    result = await commit(
        jobs.store(runtime, integration, [event]),
        lambda status, detail: _og(status, detail, started),
    )
    if isinstance(result, Response):
        return result
    return _og(202, "Request will be processed", started)


@router.post("/v2/alerts", status_code=202)
async def opsgenie_create(request: Request) -> Response:
    """Opsgenie: create an alert (deduplicated by `alias`)."""
    return await _opsgenie(request, parse_opsgenie_create)


@router.post("/v2/alerts/{identifier}/acknowledge", status_code=202)
async def opsgenie_acknowledge(identifier: str, request: Request) -> Response:
    id_type = request.query_params.get("identifierType")
    return await _opsgenie(
        request, lambda p: parse_opsgenie_action("acknowledge", identifier, id_type, p)
    )


@router.post("/v2/alerts/{identifier}/close", status_code=202)
async def opsgenie_close(identifier: str, request: Request) -> Response:
    id_type = request.query_params.get("identifierType")
    return await _opsgenie(
        request, lambda p: parse_opsgenie_action("close", identifier, id_type, p)
    )


# --- the fast path --------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


def _fast_table(
    routes: list[BaseRoute],
) -> tuple[dict[tuple[str, str], Handler], dict[tuple[str, str], Callable[..., Any]]]:
    """Built once from this router's registered routes: (method, path) of routes without
    parameters, and (method, path prefix) of routes whose only parameter ends the path as
    `{key}`. A new intake route is on the fast path by being registered."""
    exact: dict[tuple[str, str], Handler] = {}
    keyed: dict[tuple[str, str], Callable[..., Any]] = {}
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods or ():
            if "{" not in route.path:
                exact[(method, route.path)] = route.endpoint
            elif route.path.endswith("/{key}") and route.path.count("{") == 1:
                keyed[(method, route.path[: -len("{key}")])] = route.endpoint
    return exact, keyed


_EXACT, _KEYED = _fast_table(router.routes)


def fast_handler(method: str, path: str) -> Callable[[Request], Any] | None:
    """The intake handler for a request, found with a dictionary lookup instead of the
    framework's route matching and dependency solving (most of an alert's CPU cost on
    the event loop). The same handlers stay registered as routes, for OpenAPI."""
    handler = _EXACT.get((method, path))
    if handler is not None:
        return handler
    prefix, _, key = path.rpartition("/")
    keyed = _KEYED.get((method, prefix + "/")) if key else None
    if keyed is None:
        return None
    return lambda request: keyed(key, request)
