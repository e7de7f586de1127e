"""Bearer-token authentication and role checks, applied to every API route."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from firebell.auth.principal import Principal, Role
from firebell.auth.tokens import authenticate
from firebell.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API token: `firebell token create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def require(role: Role) -> Callable[..., Principal]:
    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if credentials is None:
            raise HTTPException(
                401, "missing 'Authorization: Bearer <token>' header", headers=_CHALLENGE
            )
        runtime = runtime_of(request)
        with runtime.sessions() as session:
            principal = authenticate(session, credentials.credentials, runtime.clock.now())
            session.commit()  # the last-used time, when it was due
        if principal is None:
            raise HTTPException(
                401, "the API token is not valid or was revoked", headers=_CHALLENGE
            )
        if not principal.has(role):
            raise HTTPException(
                403, f"this needs the '{role}' role; the token has '{principal.role}'"
            )
        return principal

    return dependency


Viewer = Depends(require("viewer"))
Responder = Depends(require("responder"))
Admin = Depends(require("admin"))
