"""Health, readiness, the effective playbook, and token administration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from firebell.api.problems import problem
from firebell.api.schemas import TokenIn, TokenOut
from firebell.api.security import Admin, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.auth.tokens import create_token
from firebell.store.db import ping, transaction

router = APIRouter()


@router.get("/healthz", tags=["system"])
def healthz() -> dict[str, str]:
    """The process is alive (says nothing about the database)."""
    return {"status": "ok"}


@router.get("/readyz", tags=["system"], response_model=None)
def readyz(request: Request) -> JSONResponse | dict[str, str]:
    """Ready to take traffic: the database answers."""
    try:
        ping(runtime_of(request).db)
    except Exception as exc:  # any driver error means "not ready"
        return problem(503, "Not ready", f"database unreachable: {type(exc).__name__}")
    return {"status": "ready", "database": runtime_of(request).db.dialect.name}


@router.get("/api/v1/playbook", tags=["playbook"])
def playbook(request: Request, _actor: Principal = Viewer) -> dict[str, Any]:
    loaded = runtime_of(request).playbook
    return {
        "version": loaded.version,
        "path": loaded.path,
        "playbook": loaded.playbook.model_dump(mode="json"),
    }


@router.post("/api/v1/tokens", tags=["auth"], status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, request: Request, _actor: Principal = Admin) -> TokenOut:
    runtime = runtime_of(request)
    with transaction(runtime.sessions) as session:
        row, secret = create_token(session, runtime.clock, name=body.name, role=body.role)
    return TokenOut(id=row.id, name=row.name, role=row.role, token=secret)


@router.get("/api/v1/integrations", tags=["intake"])
def integrations(request: Request, _actor: Principal = Admin) -> dict[str, Any]:
    """Each integration with its format, secret key and full intake URL (admins only)."""
    runtime = runtime_of(request)
    base = str(request.base_url).rstrip("/")
    return {
        "integrations": [
            {
                "id": live.id,
                "name": live.spec.name,
                "format": live.spec.format,
                "service": live.spec.service,
                "key": live.key,
                "url": live.url(base),
            }
            for live in runtime.integrations.all()
        ]
    }
