"""The console's plumbing: its services, templates, who is signed in, CSRF, and errors.

Views stay thin: they read the form, call the same services the API routes call (with
the signed-in user's `Principal`, so the same permission and visibility checks apply),
and render a template or redirect. Nothing here holds storage logic.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError

from firebell import __version__
from firebell.api.ratelimit import TokenBuckets
from firebell.auth.principal import Principal, Role
from firebell.auth.token_service import Tokens
from firebell.errors import DomainError, FieldProblem, Invalid
from firebell.runtime import Runtime
from firebell.web import timefmt
from firebell.web.accounts import Accounts
from firebell.web.sessions import SignedIn, WebSessions
from firebell.web.sso import SingleSignOn

HERE = Path(__file__).parent
COOKIE = "firebell_session"
CSRF_FIELD = "csrf"
# Sign-in attempts: per account and per address (token buckets: per minute, burst).
ACCOUNT_LIMIT = (2, 5)
ADDRESS_LIMIT = (10, 20)


class NeedsSignIn(Exception):
    """Raised by `signed_in`; answered with a redirect to the sign-in page."""

    def __init__(self, after: str, reason: str | None = None) -> None:
        self.after = after
        self.reason = reason


class Refused(Exception):
    """A console request refused with a page that says why (CSRF, role)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail


@dataclass
class Console:
    runtime: Runtime
    accounts: Accounts
    sessions: WebSessions
    templates: Environment
    sign_in_limits: TokenBuckets = field(default_factory=TokenBuckets)
    # "Send me a test page" / "Send a test alert": per user (per minute, burst).
    test_limits: TokenBuckets = field(default_factory=TokenBuckets)
    sso: SingleSignOn | None = None  # single sign-on, when FIREBELL_OIDC_* are set

    @classmethod
    def build(cls, runtime: Runtime) -> Console:
        # Our own templates only (never a user's), so the plain environment: the sandbox
        # checks every attribute access and made the 1,000-event page several times slower.
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["ago"] = lambda t: timefmt.ago(t, runtime.clock.now())
        env.filters["utc"] = timefmt.utc
        env.filters["hm"] = timefmt.hm
        env.filters["iso"] = lambda t: t.isoformat() if isinstance(t, datetime) else ""
        env.globals["version"] = __version__
        env.globals["org"] = runtime.playbook.playbook.organization.name
        oidc = runtime.settings.oidc
        env.globals["sso_name"] = oidc.name if oidc is not None else None
        env.globals["status_components"] = runtime.playbook.playbook.status_page.components
        return cls(
            runtime,
            Accounts(
                runtime.sessions,
                runtime.clock,
                runtime.playbook.playbook,
                runtime.settings.base_url,
            ),
            WebSessions(runtime.sessions, runtime.clock),
            env,
            sso=SingleSignOn(oidc, runtime.sessions, runtime.clock, runtime.settings.base_url)
            if oidc is not None
            else None,
        )

    @property
    def tokens(self) -> Tokens:
        """API tokens: the same functions as /api/v1/tokens, with an owner."""
        return Tokens(self.runtime.sessions, self.runtime.clock)

    def render(
        self,
        request: Request,
        template: str,
        who: SignedIn | None = None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            request_path=request.url.path,
            who=who,
            csrf=who.csrf if who else "",
            now=self.runtime.clock.now(),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {
    # Nothing from another site; inline nothing: scripts and styles are our own files.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def principal_of(who: SignedIn) -> Principal:
    """The one way a console user becomes a Principal: every service call (and so every
    visibility check on private incidents, including the live stream) goes through it."""
    return who.user.principal


def signed_in(request: Request) -> SignedIn:
    """The signed-in user, or NeedsSignIn (answered with a redirect to sign in)."""
    secret = request.cookies.get(COOKIE)
    who = console_of(request).sessions.lookup(secret) if secret else None
    if who is None:
        after = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        reason = "Your session has expired; sign in again." if secret else None
        raise NeedsSignIn(after, reason)
    return who


def require_role(who: SignedIn, role: Role) -> None:
    if not principal_of(who).has(role):
        raise Refused(
            403,
            "Not allowed",
            f"This needs the '{role}' role; your account has '{who.user.role}'. "
            "Ask an admin if you should be able to do this.",
        )


async def form_of(request: Request, who: SignedIn) -> Mapping[str, str]:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, who.csrf):
        raise Refused(
            403,
            "Form expired",
            "This form was not sent from your current console session (missing or wrong "
            "security token). Go back, reload the page and try again.",
        )
    return {k: v for k, v in form.items() if isinstance(v, str)}


def validated(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    """Validate form values with the API's own request model: the same limits apply."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"]) or "", e["msg"]) for e in exc.errors()
        ]
        raise Invalid("; ".join(f"{p.field}: {p.reason}" for p in problems), problems) from None


def errors_of(exc: DomainError) -> dict[str, str]:
    """Field -> reason, for showing next to each input; '' holds a general message."""
    problems: list[FieldProblem] = exc.problems or [FieldProblem("", exc.detail)]
    return {p.field: p.reason for p in problems}


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def sign_in_url(after: str, reason: str | None = None) -> str:
    url = f"/console/sign-in?next={quote(after, safe='')}"
    return url + ("&expired=1" if reason else "")


def install_handlers(app: FastAPI) -> None:
    async def needs_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedsSignIn)
        if request.headers.get("accept", "").startswith("text/event-stream"):
            return Response(status_code=401)
        return redirect(sign_in_url(exc.after, exc.reason))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        console = console_of(request)
        secret = request.cookies.get(COOKIE)
        who = console.sessions.lookup(secret) if secret else None
        return console.render(
            request, "refused.html", who, exc.status, title=exc.title, detail=exc.detail
        )

    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        NeedsSignIn: needs_sign_in,
        Refused: refused,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
