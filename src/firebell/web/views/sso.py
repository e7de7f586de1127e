"""Single sign-on pages: start (redirect to the identity provider) and its return.

The return creates the same server-side session as a password sign-in; a refusal shows
the sign-in page with what went wrong (no account for that email, account disabled, an
answer that does not belong to this browser's sign-in).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from firebell.api.ratelimit import retry_after
from firebell.auth.oidc import SsoRefused
from firebell.web.console import ADDRESS_LIMIT, COOKIE, Console, console_of
from firebell.web.views.auth import _address, _safe_next

router = APIRouter(prefix="/console/sso", include_in_schema=False)
SSO_COOKIE = "firebell_sso"


def _refused(request: Request, console: Console, message: str, status: int) -> Response:
    response = console.render(
        request, "sign_in.html", status=status, next="/console/", name="", message=message
    )
    response.delete_cookie(SSO_COOKIE, path="/console/sso")
    return response


def _limited(request: Request, console: Console) -> Response | None:
    """Starting and finishing count as sign-in attempts of the address (each start writes
    a row; each finish calls the provider)."""
    per_minute, burst = ADDRESS_LIMIT
    wait = console.sign_in_limits.take(f"signin:address:{_address(request)}", per_minute, burst)
    if not wait:
        return None
    message = f"Too many sign-in attempts. Wait {retry_after(wait)} s and try again."
    return _refused(request, console, message, 429)


@router.get("/start", response_model=None)
def start(request: Request, next: str | None = None) -> Response:
    console = console_of(request)
    if console.sso is None:
        return _refused(request, console, "Single sign-on is not set up here.", 404)
    limited = _limited(request, console)
    if limited is not None:
        return limited
    try:
        started = console.sso.begin(_safe_next(next))
    except SsoRefused as exc:
        return _refused(request, console, exc.message, exc.status)
    response = RedirectResponse(started.url, status_code=303)
    # Lax: sent on the provider's top-level redirect back to us, never on a cross-site POST.
    response.set_cookie(
        SSO_COOKIE,
        started.secret,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/console/sso",
    )
    return response


@router.get("/callback", response_model=None)
def callback(
    request: Request,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    console = console_of(request)
    if console.sso is None:
        return _refused(request, console, "Single sign-on is not set up here.", 404)
    limited = _limited(request, console)
    if limited is not None:
        return limited
    address = _address(request)
    try:
        done = console.sso.finish(request.cookies.get(SSO_COOKIE), state, code, error)
    except SsoRefused as exc:
        return _refused(request, console, exc.message, exc.status)
    secret = console.sessions.start(done.user, address, request.headers.get("user-agent", ""))
    response = RedirectResponse(_safe_next(done.next), status_code=303)
    response.delete_cookie(SSO_COOKIE, path="/console/sso")
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
