"""Console sign-in, sessions, CSRF and roles through the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.errors import Conflict, Invalid, NotFound
from firebell.runtime import Runtime
from firebell.store.models import Incident, User, WebSession
from firebell.web.accounts import SETUP_PATH
from firebell.web.sessions import ABSOLUTE, IDLE

from .support import PASSWORD, accounts, csrf_of, make_user, sign_in


def test_set_password_link_is_one_time_and_password_is_argon2id(
    app_client: TestClient, runtime: Runtime
) -> None:
    _, link = accounts(runtime).add("alice", "responder")
    path = link.split(runtime.settings.base_url, 1)[1]
    assert path.startswith(SETUP_PATH)
    page = app_client.get(path)
    assert page.status_code == 200 and "Set a password for alice" in page.text
    short = app_client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    differ = app_client.post(path, data={"password": PASSWORD, "confirm": PASSWORD + "x"})
    assert differ.status_code == 422 and "differ" in differ.text
    done = app_client.post(
        path, data={"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    with runtime.sessions() as session:
        stored = session.scalars(select(User).where(User.name == "alice")).one().password_hash
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    again = app_client.get(path)
    assert again.status_code == 404 and "unknown, used or expired" in again.text
    sign_in(app_client, "alice")


def test_wrong_password_is_refused_with_a_clear_message(
    app_client: TestClient, runtime: Runtime
) -> None:
    make_user(runtime, "alice", "responder")
    response = app_client.post(
        "/console/sign-in", data={"name": "alice", "password": "wrong wrong wrong"}
    )
    assert response.status_code == 401
    assert "Wrong name or password" in response.text
    assert "firebell_session" not in response.headers.get("set-cookie", "")
    unknown = app_client.post("/console/sign-in", data={"name": "nobody", "password": "x" * 12})
    assert unknown.status_code == 401


def test_sign_in_attempts_are_rate_limited_per_account(
    app_client: TestClient, runtime: Runtime
) -> None:
    make_user(runtime, "alice", "responder")
    codes = [
        app_client.post(
            "/console/sign-in", data={"name": "alice", "password": "not the password"}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    # Even the right password waits: the limit is on attempts, not on failures.
    right = app_client.post("/console/sign-in", data={"name": "alice", "password": PASSWORD})
    assert right.status_code == 429 and "Too many sign-in attempts" in right.text


def test_session_cookie_flags_and_server_side_expiry(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    make_user(runtime, "alice", "viewer")
    response = app_client.post(
        "/console/sign-in",
        data={"name": "alice", "password": PASSWORD, "next": "/console/oncall"},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert response.headers["location"] == "/console/oncall"
    with runtime.sessions() as session:
        row = session.scalars(select(WebSession)).one()
    secret = app_client.cookies["firebell_session"]
    assert row.digest != secret and len(row.digest) == 64  # only a digest is stored
    assert app_client.get("/console/incidents").status_code == 200
    clock.advance(IDLE + timedelta(seconds=1))
    expired = app_client.get("/console/incidents", follow_redirects=False)
    assert expired.status_code == 303
    assert "expired=1" in expired.headers["location"]
    page = app_client.get(expired.headers["location"])
    assert "Your session has expired" in page.text
    assert ABSOLUTE > IDLE


def test_sign_in_only_redirects_to_this_site(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "alice", "viewer")
    response = app_client.post(
        "/console/sign-in",
        data={"name": "alice", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console/"


def test_missing_csrf_token_is_refused(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    response = app_client.post("/console/declare", data={"title": "x", "severity": "P2"})
    assert response.status_code == 403
    assert "security token" in response.text
    wrong = app_client.post(
        "/console/declare", data={"title": "x", "severity": "P2", "csrf": "forged"}
    )
    assert wrong.status_code == 403
    with runtime.sessions() as session:
        assert session.scalars(select(Incident)).first() is None  # nothing was declared


def test_viewer_cannot_act(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "val", "viewer")
    sign_in(app_client, "val")
    page = app_client.get("/console/incidents")
    token = csrf_of(page.text)
    response = app_client.post(
        "/console/declare", data={"csrf": token, "title": "x", "severity": "P2"}
    )
    assert response.status_code == 403
    assert "needs the 'responder' role" in unescape(response.text)
    assert "Declare an incident" not in page.text  # the button is not offered either


def test_sign_out_ends_the_session_and_sessions_are_listed(
    app_client: TestClient, runtime: Runtime
) -> None:
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    other = TestClient(app_client.app)
    sign_in(other, "alice")
    profile = app_client.get("/console/profile")
    assert profile.text.count("/revoke") == 2 and "(this one)" in profile.text
    out = app_client.post(
        "/console/sign-out", data={"csrf": csrf_of(profile.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert app_client.get("/console/incidents", follow_redirects=False).status_code == 303
    assert other.get("/console/incidents").status_code == 200  # the other browser stays


def test_disable_and_reset_end_sessions(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    link = accounts(runtime).reset("alice")
    assert SETUP_PATH in link
    assert app_client.get("/console/incidents", follow_redirects=False).status_code == 303
    refused = app_client.post("/console/sign-in", data={"name": "alice", "password": PASSWORD})
    assert refused.status_code == 401  # the old password is gone
    accounts(runtime).disable("alice")
    with pytest.raises(NotFound):
        accounts(runtime).setup_user(link.split(SETUP_PATH, 1)[1])


def test_account_validation(runtime: Runtime) -> None:
    acc = accounts(runtime)
    with pytest.raises(Invalid, match="role"):
        acc.add("bob", "owner")
    with pytest.raises(Invalid, match="person"):
        acc.add("bob", "viewer", person="not-a-person")
    acc.add("bob", "viewer")
    with pytest.raises(Conflict):
        acc.add("bob", "viewer")


def test_api_tokens_keep_working(app_client: TestClient, responder: dict[str, str]) -> None:
    assert app_client.get("/api/v1/incidents", headers=responder).status_code == 200
    assert app_client.get("/api/v1/incidents").status_code == 401


def test_first_start_admin_gets_a_set_password_link(
    app_client: TestClient, runtime: Runtime
) -> None:
    from firebell.auth.tokens import ensure_admin
    from firebell.store.db import transaction

    with transaction(runtime.sessions) as session:
        assert ensure_admin(session, runtime.clock) is not None
    acc = accounts(runtime)
    link = acc.setup_for_admin()
    assert link is not None and SETUP_PATH in link
    acc.set_password(link.split(SETUP_PATH, 1)[1], PASSWORD)
    assert acc.setup_for_admin() is None  # once it has a password, no new link
    sign_in(app_client, "admin")
