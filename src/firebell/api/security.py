"""Bearer-token authentication and role checks, applied to every API route."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from firebell.auth.principal import Principal, Role
from firebell.auth.tokens import identify, touch
from firebell.runtime import Runtime
from firebell.store.db import reading, transaction

log = logging.getLogger("firebell.api.security")
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
        now = runtime.clock.now()
        with reading(runtime.sessions) as session:  # never waits behind a writer
            principal, due = identify(session, credentials.credentials, now)
        if principal is not None and principal.token_id is not None and due:
            _record_use(runtime, principal.token_id, now)
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


_touching: set[int] = set()
_touching_lock = threading.Lock()


def _record_use(runtime: Runtime, token_id: int, now: datetime) -> None:
    """Record a token's last use (due at most once a minute) in a write of its own, off
    the request: the check itself never waits behind a writer. One write per token at a
    time; a lost one is redone on the token's next use."""
    with _touching_lock:
        if token_id in _touching:
            return
        _touching.add(token_id)

    def write() -> None:
        try:
            with transaction(runtime.sessions) as session:
                touch(session, token_id, now)
        except Exception:  # advisory: never fail a request or a thread over it
            log.warning("could not record the last use of token %s", token_id)
        finally:
            with _touching_lock:
                _touching.discard(token_id)

    threading.Thread(target=write, name="firebell-token-use", daemon=True).start()


Viewer = Depends(require("viewer"))
Responder = Depends(require("responder"))
Admin = Depends(require("admin"))
