"""Sign in, sign out, and setting a password from a one-time link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.api.ratelimit import retry_after
from firebell.errors import DomainError
from firebell.web.console import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    COOKIE,
    console_of,
    errors_of,
    form_of,
    redirect,
    signed_in,
)

router = APIRouter(prefix="/console", include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect helps phishers."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None, expired: int = 0) -> Response:
    message = "Your session has expired; sign in again." if expired else None
    return console_of(request).render(
        request, "sign_in.html", next=_safe_next(next), message=message, name=""
    )


@router.post("/sign-in", response_model=None)
async def sign_in(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    name = str(form.get("name", "")).strip()[:200]
    password = str(form.get("password", ""))
    after = _safe_next(str(form.get("next", "")))
    address = _address(request)
    for key, (per_minute, burst) in (
        (f"signin:account:{name.lower()}", ACCOUNT_LIMIT),
        (f"signin:address:{address}", ADDRESS_LIMIT),
    ):
        wait = console.sign_in_limits.take(key, per_minute, burst)
        if wait:
            return console.render(
                request,
                "sign_in.html",
                status=429,
                next=after,
                name=name,
                message=f"Too many sign-in attempts. Wait {retry_after(wait)} s and try again.",
            )
    user = console.accounts.verify(name, password)
    if user is None:
        return console.render(
            request,
            "sign_in.html",
            status=401,
            next=after,
            name=name,
            message="Wrong name or password (or the account is disabled).",
        )
    secret = console.sessions.start(user, address, request.headers.get("user-agent", ""))
    response = RedirectResponse(after, status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/sign-out", response_model=None)
async def sign_out(request: Request) -> Response:
    who = signed_in(request)
    await form_of(request, who)
    console_of(request).sessions.revoke(who.user.id, who.session_id)
    response = redirect("/console/sign-in?signed_out=1")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/setup/{secret}", response_class=HTMLResponse)
def setup_page(secret: str, request: Request) -> Response:
    console = console_of(request)
    try:
        user = console.accounts.setup_user(secret)
    except DomainError as exc:
        return console.render(
            request, "refused.html", status=404, title="Link not valid", detail=exc.detail
        )
    return console.render(request, "setup.html", user=user, errors={})


@router.post("/setup/{secret}", response_model=None)
async def setup(secret: str, request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    password = str(form.get("password", ""))
    try:
        user = console.accounts.setup_user(secret)
        if password != str(form.get("confirm", "")):
            return console.render(
                request,
                "setup.html",
                status=422,
                user=user,
                errors={"confirm": "the two passwords differ"},
            )
        console.accounts.set_password(secret, password)
    except DomainError as exc:
        if exc.status == 404:
            return console.render(
                request, "refused.html", status=404, title="Link not valid", detail=exc.detail
            )
        return console.render(
            request, "setup.html", status=exc.status, user=user, errors=errors_of(exc)
        )
    return redirect("/console/sign-in?password_set=1")
