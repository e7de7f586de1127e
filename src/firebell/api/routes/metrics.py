"""`GET /metrics` for Prometheus.

It needs a token (any role, e.g. a `viewer` token made for Prometheus): firebell checks a
token on every route, and incident counts by severity are internal information (private
incidents are left out of them: see `firebell.reports.prometheus`). In the
scrape config: `authorization: {credentials_file: /etc/prometheus/firebell.token}`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from firebell.api.security import Viewer
from firebell.auth.principal import Principal
from firebell.reports.prometheus import IntakeCounter, build_registry
from firebell.runtime import Runtime

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics(request: Request, _actor: Principal = Viewer) -> Response:
    """Prometheus text format: open incidents, incidents declared, pages by channel and
    outcome, page delivery latency, intake events, timer lateness, outbox backlog, SLA
    breaches."""
    return Response(generate_latest(request.app.state.prometheus), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, runtime: Runtime) -> None:
    """The /metrics route, its registry, and the intake counter around the whole app."""
    registry, intake = build_registry(runtime.sessions, runtime.clock.now)
    app.state.prometheus = registry

    def integration(key: str) -> str:
        found = runtime.integrations.by_key.get(key.strip())
        return found.id if found else "unknown"

    app.add_middleware(IntakeCounter, counter=intake, lookup=integration)
    app.include_router(router)
