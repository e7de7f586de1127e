"""/api/v1/tokens (admins): create, list and revoke API tokens.

Revoking takes effect on the next request (each request looks its token up); an expired
token is refused like a revoked one. Secrets are shown once, at creation; the list shows
each token's prefix, never the token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import AwareDatetime, BaseModel, Field

from firebell.api.schemas import Body
from firebell.api.security import Admin, runtime_of
from firebell.auth.principal import Principal
from firebell.auth.tokens import TokenState, create_token, list_tokens, revoke
from firebell.store.db import transaction
from firebell.store.models import ApiToken

router = APIRouter(prefix="/api/v1/tokens", tags=["auth"])


class TokenIn(Body):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["viewer", "responder", "admin"]
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the token stops working; none: it does not expire."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    expires_at: datetime | None = None
    token: str = Field(description="Shown once; only a digest is stored.")


class TokenInfo(BaseModel):
    id: int
    name: str
    role: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    state: Literal["active", "expired", "revoked"]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="To the minute.")
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken, now: datetime) -> TokenInfo:
        state: Literal["active", "expired", "revoked"] = (
            "revoked"
            if row.revoked_at is not None
            else "active"
            if TokenState(row.revoked_at, row.expires_at).usable(now)
            else "expired"
        )
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            state=state,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


class TokenList(BaseModel):
    tokens: list[TokenInfo]


@router.post("", status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, request: Request, _actor: Principal = Admin) -> TokenOut:
    runtime = runtime_of(request)
    with transaction(runtime.sessions) as session:
        row, secret = create_token(
            session, runtime.clock, name=body.name, role=body.role, expires_at=body.expires_at
        )
    return TokenOut(
        id=row.id, name=row.name, role=row.role, expires_at=row.expires_at, token=secret
    )


@router.get("")
def tokens(request: Request, _actor: Principal = Admin) -> TokenList:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.sessions() as session:
        return TokenList(tokens=[TokenInfo.of(row, now) for row in list_tokens(session)])


@router.delete("/{token_id}")
def revoke_token(token_id: int, request: Request, _actor: Principal = Admin) -> TokenInfo:
    """Revoke a token: its next request gets 401."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        row = revoke(session, token_id, now)
        return TokenInfo.of(row, now)
