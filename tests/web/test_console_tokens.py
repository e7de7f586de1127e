"""Personal API tokens on "My profile", and the admin page's tokens and users, through the
real app (SQLite and PostgreSQL), and in Chromium (create, copy, use, revoke)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from firebell.auth.token_service import role_within
from firebell.clock import FrozenClock
from firebell.errors import Invalid
from firebell.runtime import Runtime
from firebell.store.models import ApiToken, User, WebSession
from firebell.web.accounts import SETUP_PATH

from .browser import CHROMIUM, SCREENSHOTS, running_server
from .support import PASSWORD, accounts, csrf_of, make_user, sign_in

_SECRET = re.compile(r'id="new-token-value" readonly value="(fb_[^"]+)"')
_LINK = re.compile(r'id="setup-link-value" readonly value="([^"]+)"')


def serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def new_token(client: TestClient, **form: str) -> httpx.Response:
    csrf = csrf_of(client.get("/console/profile").text)
    return client.post("/console/profile/tokens", data={"csrf": csrf, **form})


def test_role_within_is_never_wider_than_your_own() -> None:
    assert role_within("responder", "viewer") == "viewer"
    assert role_within("admin", "admin") == "admin"
    with pytest.raises(Invalid, match="more than your own role"):
        role_within("responder", "admin")
    with pytest.raises(Invalid, match="must be one of"):
        role_within("admin", "root")


def test_create_a_token_shown_once_then_listed_used_and_revoked(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    created = new_token(app_client, name="deploy script", role="responder", expires="30d")
    assert created.status_code == 201
    match = _SECRET.search(created.text)
    assert match, created.text
    secret = match.group(1)
    assert "shown only this once" in created.text
    # It works on the API, with the role asked for, and its use is recorded.
    clock.advance(timedelta(minutes=5))
    api = app_client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    with runtime.sessions() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == "deploy script")).one()
        owner = session.get(User, row.user_id)
        assert owner is not None and owner.name == "alice" and row.role == "responder"
        assert row.expires_at == clock.now() - timedelta(minutes=5) + timedelta(days=30)
        assert row.last_used_at == clock.now() and secret not in (row.digest, row.prefix)
        token_id = row.id
    # Listed afterwards without the secret.
    page = app_client.get("/console/profile")
    assert "deploy script" in page.text and secret not in page.text
    assert row.prefix in page.text and "just now" in page.text  # last used
    # Revoked: the next API request is refused.
    revoked = app_client.post(
        f"/console/profile/tokens/{token_id}/revoke",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    after = app_client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401
    assert ">revoked<" in app_client.get("/console/profile").text


def test_token_form_refusals_name_the_field(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "vic", "viewer")
    sign_in(app_client, "vic")
    wider = new_token(app_client, name="too strong", role="admin")
    assert wider.status_code == 422 and "more than your own role" in unescape(wider.text)
    empty = new_token(app_client, name="  ", role="viewer")
    assert empty.status_code == 422 and "give a name" in empty.text
    late = new_token(app_client, name="x", role="viewer", expires="yesterday")
    assert late.status_code == 422 and "neither a duration" in unescape(late.text)
    past = new_token(app_client, name="x", role="viewer", expires="2020-01-01T00:00:00Z")
    assert past.status_code == 422 and "in the future" in past.text
    missing_csrf = app_client.post("/console/profile/tokens", data={"name": "x", "role": "viewer"})
    assert missing_csrf.status_code == 403
    with runtime.sessions() as session:
        assert session.scalars(select(ApiToken)).first() is None  # nothing half-written
    ok = new_token(app_client, name="read only", role="viewer")
    assert ok.status_code == 201


def test_someone_elses_token_cannot_be_revoked_from_the_profile(
    app_client: TestClient, runtime: Runtime
) -> None:
    make_user(runtime, "alice", "responder")
    make_user(runtime, "bob", "responder")
    sign_in(app_client, "alice")
    new_token(app_client, name="alice's", role="viewer")
    with runtime.sessions() as session:
        token_id = session.scalars(select(ApiToken)).one().id
    app_client.post("/console/sign-out", data={"csrf": csrf_of(app_client.get("/console/").text)})
    sign_in(app_client, "bob")
    page = app_client.get("/console/profile")
    assert "alice&#39;s" not in page.text and "alice's" not in page.text
    refused = app_client.post(
        f"/console/profile/tokens/{token_id}/revoke", data={"csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    with runtime.sessions() as session:
        assert session.scalars(select(ApiToken)).one().revoked_at is None


def test_admin_lists_every_token_and_revokes_any(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "root", "admin")
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    secret = _SECRET.search(new_token(app_client, name="ci job", role="responder").text)
    assert secret
    app_client.cookies.clear()
    sign_in(app_client, "root")
    page = app_client.get("/console/admin")
    assert page.status_code == 200
    row = re.search(r"<td>alice</td><td>ci job</td><td>responder</td>", page.text)
    assert row, page.text
    with runtime.sessions() as session:
        token_id = session.scalars(select(ApiToken)).one().id
    revoked = app_client.post(
        f"/console/admin/tokens/{token_id}/revoke",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app_client.get("/api/v1/incidents", headers=headers).status_code == 401
    # A responder cannot use the admin's forms.
    app_client.cookies.clear()
    sign_in(app_client, "alice")
    csrf = csrf_of(app_client.get("/console/profile").text)
    denied = app_client.post(f"/console/admin/tokens/{token_id}/revoke", data={"csrf": csrf})
    assert denied.status_code == 403 and "needs the &#39;admin&#39; role" in denied.text
    denied = app_client.post("/console/admin/users", data={"csrf": csrf, "name": "mallory"})
    assert denied.status_code == 403


def test_admin_adds_resets_and_disables_users(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "root", "admin")
    sign_in(app_client, "root")
    csrf = csrf_of(app_client.get("/console/admin").text)
    person = runtime.playbook.playbook.people[0].id
    added = app_client.post(
        "/console/admin/users",
        data={
            "csrf": csrf,
            "name": "nina",
            "role": "responder",
            "person": person,
            "email": "nina@corp.test",
        },
    )
    assert added.status_code == 201
    link = _LINK.search(added.text)
    assert link and SETUP_PATH in link.group(1)
    with runtime.sessions() as session:
        nina = session.scalars(select(User).where(User.name == "nina")).one()
        assert (nina.role, nina.person, nina.email) == ("responder", person, "nina@corp.test")
    # The link works: nina sets a password and signs in.
    path = link.group(1).split(runtime.settings.base_url, 1)[1]
    with TestClient(app_client.app) as other:
        set_pw = other.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
        assert set_pw.status_code == 200
        sign_in(other, "nina")
    # Same rules as the CLI: a duplicate name, an unknown person, a bad role.
    for form, status, reason in (
        ({"name": "nina", "role": "viewer"}, 409, "already exists"),
        ({"name": "olga", "role": "viewer", "person": "nobody"}, 422, "not one of"),
        ({"name": "olga", "role": "root"}, 422, "must be one of"),
    ):
        refused = app_client.post("/console/admin/users", data={"csrf": csrf, **form})
        assert refused.status_code == status and reason in unescape(refused.text), form
    # Reset: a new link, the old password gone, sessions ended.
    reset = app_client.post("/console/admin/users/reset", data={"csrf": csrf, "name": "nina"})
    assert reset.status_code == 200
    new_link = _LINK.search(reset.text)
    assert new_link and new_link.group(1) != link.group(1)
    with runtime.sessions() as session:
        nina = session.scalars(select(User).where(User.name == "nina")).one()
        assert nina.password_hash is None
        live = session.scalars(
            select(WebSession).where(WebSession.user_id == nina.id, WebSession.revoked_at.is_(None))
        ).all()
        assert live == []
    # Disable, and never oneself.
    disabled = app_client.post(
        "/console/admin/users/disable",
        data={"csrf": csrf, "name": "nina"},
        follow_redirects=False,
    )
    assert disabled.status_code == 303
    assert accounts(runtime).list()[0].disabled  # nina sorts first
    self_disable = app_client.post(
        "/console/admin/users/disable", data={"csrf": csrf, "name": "root"}
    )
    assert self_disable.status_code == 409 and "your own account" in self_disable.text
    unknown = app_client.post("/console/admin/users/reset", data={"csrf": csrf, "name": "zz"})
    assert unknown.status_code == 404 and "no user named" in unknown.text


@pytest.mark.slow
def test_browser_creates_copies_and_revokes_a_token(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        make_user(server.runtime, "alice", "responder")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            # bypass_csp lets axe's script in (the story and SSO tests run under the CSP).
            context = browser.new_context(base_url=server.url, bypass_csp=True)
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto("/console/sign-in")
            page.get_by_label("Name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/console/")
            page.goto("/console/profile")
            page.get_by_label("Token name").fill("laptop cli")
            page.get_by_label("Role").select_option("viewer")
            page.get_by_label("Expires (optional)").fill("7d")
            page.get_by_role("button", name="Create token").click()
            field = page.get_by_label("Your new token")
            secret = field.input_value()
            assert secret.startswith("fb_")
            page.locator('[data-copy="new-token-value"]').click()
            assert page.locator('[data-copy="new-token-value"]').inner_text() == "Copied"
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / "profile-new-token-1280-light.png", full_page=True)
            assert serious(page) == []
            api = httpx.get(
                f"{server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}
            )
            assert api.status_code == 200
            # Shown once: a reload lists it without the secret.
            page.goto("/console/profile")
            assert secret not in page.content() and "laptop cli" in page.content()
            page.get_by_role("button", name="Revoke token laptop cli").click()
            page.wait_for_url("**/console/profile#tokens")
            # The admin page with a one-time set-password link on it.
            make_user(server.runtime, "root", "admin")
            context.clear_cookies()
            page.goto("/console/sign-in")
            page.get_by_label("Name").fill("root")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/console/")
            page.goto("/console/admin")
            page.get_by_label("Name").fill("walt")
            page.get_by_label("Email (for single sign-on)").fill("walt@corp.test")
            page.get_by_role("button", name="Add user").click()
            assert SETUP_PATH in page.get_by_label("Set-password link").input_value()
            page.screenshot(path=SCREENSHOTS / "admin-new-user-1280-light.png", full_page=True)
            assert serious(page) == []
            api = httpx.get(
                f"{server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}
            )
            assert api.status_code == 401
            browser.close()
