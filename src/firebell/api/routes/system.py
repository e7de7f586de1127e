"""Health, readiness, the effective playbook, integrations (tokens: `routes/tokens.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from firebell.api.problems import problem
from firebell.api.security import Admin, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.store.db import ping

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


REDACTED = "(redacted: admins only)"
_URL_CHANNEL = ("slack:", "teams:", "mattermost:", "webhook:", "ntfy:")


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The playbook without what works as a credential: webhook URLs (a Slack or Teams
    webhook URL *is* its secret), push topics and the conference bridge."""
    for person in data.get("people", []):
        for key in ("webhook_url", "push_topic"):
            if person.get(key):
                person[key] = REDACTED
    for audience in data.get("communications", {}).get("audiences", []):
        audience["channels"] = [
            REDACTED if c.startswith(_URL_CHANNEL) else c for c in audience.get("channels", [])
        ]
    if data.get("war_room", {}).get("bridge_url"):
        data["war_room"]["bridge_url"] = REDACTED
    return data


@router.get("/api/v1/playbook", tags=["playbook"])
def playbook(request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    """The playbook in force (credential-like values only for admins)."""
    loaded = runtime_of(request).playbook
    data = loaded.playbook.model_dump(mode="json")
    return {
        "version": loaded.version,
        "path": loaded.path,
        "playbook": data if actor.role == "admin" else redacted(data),
    }


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
