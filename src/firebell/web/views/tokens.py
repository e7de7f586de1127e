"""Personal API tokens on "My profile", and the admin's tokens and users.

A new token's secret is shown once, in the answer to the form (never in a URL, never
again). Users are added, reset and disabled with the same `Accounts` service as the
`firebell user` commands; a new or reset user's one-time set-password link is shown once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firebell.errors import DomainError
from firebell.web.console import console_of, errors_of, form_of, redirect, require_role, signed_in
from firebell.web.views.catalog import render_admin
from firebell.web.views.profile import render_profile

router = APIRouter(prefix="/console", include_in_schema=False)


@router.post("/profile/tokens", response_model=None)
async def create_token(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    console = console_of(request)
    try:
        token, secret = console.tokens.create_personal(
            who.user.id,
            form.get("name", ""),
            form.get("role", who.user.role),
            form.get("expires", ""),
        )
    except DomainError as exc:
        return render_profile(
            request, who, status=exc.status, errors=errors_of(exc), token_form=dict(form)
        )
    return render_profile(request, who, status=201, new_token=(token, secret))


@router.post("/profile/tokens/{token_id}/revoke", response_model=None)
async def revoke_own_token(token_id: int, request: Request) -> Response:
    who = signed_in(request)
    await form_of(request, who)
    try:
        console_of(request).tokens.revoke(token_id, owner_id=who.user.id)
    except DomainError as exc:
        return render_profile(request, who, status=exc.status, errors={"token": exc.detail})
    return redirect("/console/profile#tokens")


@router.post("/admin/tokens/{token_id}/revoke", response_model=None)
async def revoke_any_token(token_id: int, request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    await form_of(request, who)
    try:
        console_of(request).tokens.revoke(token_id, owner_id=None)
    except DomainError as exc:
        return render_admin(request, who, status=exc.status, errors={"token": exc.detail})
    return redirect("/console/admin#tokens")


@router.post("/admin/users", response_model=None)
async def add_user(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    form = await form_of(request, who)
    try:
        user, link = console_of(request).accounts.add(
            form.get("name", ""),
            form.get("role", ""),
            form.get("person") or None,
            form.get("email", "").strip() or None,
        )
    except DomainError as exc:
        problems = errors_of(exc)
        if exc.status == 409:
            problems = {"name": exc.detail}
        return render_admin(request, who, status=exc.status, errors=problems, user_form=dict(form))
    return render_admin(request, who, status=201, link=link, link_for=user.name)


@router.post("/admin/users/reset", response_model=None)
async def reset_user(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    form = await form_of(request, who)
    name = form.get("name", "")
    try:
        link = console_of(request).accounts.reset(name)
    except DomainError as exc:
        return render_admin(request, who, status=exc.status, errors={"users": exc.detail})
    return render_admin(request, who, link=link, link_for=name)


@router.post("/admin/users/disable", response_model=None)
async def disable_user(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    form = await form_of(request, who)
    name = form.get("name", "")
    if name == who.user.name:
        return render_admin(
            request, who, status=409, errors={"users": "you cannot disable your own account"}
        )
    try:
        console_of(request).accounts.disable(name)
    except DomainError as exc:
        return render_admin(request, who, status=exc.status, errors={"users": exc.detail})
    return redirect("/console/admin#users")
