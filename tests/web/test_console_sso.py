"""Single sign-on (OpenID Connect) against a real provider process on loopback
(`oidc-provider-mock`, run as `python -m oidc_provider_mock`): the whole flow through the
app with httpx, and in Chromium; refusals for an unknown email, an unverified one, a
disabled user, a bad state, a callback in another browser, a tampered or replayed code, a
late return and an expired ID token."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.auth.oidc import (
    Candidate,
    Identity,
    OidcSettings,
    OidcSettingsError,
    SsoRefused,
    check_claims,
    match_user,
    oidc_from_env,
)
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.doctor import checks, probes
from firebell.runtime import Runtime, build_runtime
from firebell.settings_file import write_settings
from firebell.store.models import SsoLogin, User, WebSession

from .browser import CHROMIUM, SCREENSHOTS, free_port, running_server
from .support import accounts

pytestmark = pytest.mark.slow
CLIENT_ID = "firebell-test"
SECRET = "s3cret-client-value-for-tests"
TOKEN_AGE = 60  # seconds: the provider's ID tokens expire after this


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The mock OpenID provider as its own process on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token-max-age",
            str(TOKEN_AGE),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("the OIDC provider did not start")
        time.sleep(0.1)
    try:
        yield issuer
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def idp_user(issuer: str, sub: str, email: str, verified: bool = True) -> None:
    response = httpx.put(f"{issuer}/users/{sub}", json={"email": email, "email_verified": verified})
    assert response.status_code == 204, response.text


def oidc(issuer: str, match: str = "email") -> OidcSettings:
    return OidcSettings(issuer, CLIENT_ID, SECRET, name="Test IdP", match=match)  # type: ignore[arg-type]


@pytest.fixture
def real_clock() -> FrozenClock:
    # The provider stamps tokens with the real time; our injected clock starts there.
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def sso_runtime(
    database_url: str, tmp_path: Path, real_clock: FrozenClock, provider: str
) -> Iterator[Runtime]:
    settings = Settings(
        home=tmp_path, database_url=database_url, playbook_path=None, oidc=oidc(provider)
    )
    rt = build_runtime(settings, real_clock, migrate=False)
    yield rt
    rt.close()


@pytest.fixture
def client(sso_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(sso_runtime)) as c:
        yield c


def start(client: TestClient, after: str = "/console/incidents") -> str:
    """Press "Sign in with …": returns the provider's authorization URL."""
    page = client.get("/console/sign-in")
    assert "Sign in with Test IdP" in page.text
    response = client.get(f"/console/sso/start?next={after}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def authorize(url: str, sub: str) -> dict[str, str]:
    """What a person does at the provider: choose who they are. Returns the callback's
    query (code, state)."""
    response = httpx.post(url, data={"sub": sub}, follow_redirects=False)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


def callback(client: TestClient, query: dict[str, str]) -> httpx.Response:
    return client.get("/console/sso/callback", params=query, follow_redirects=False)


def test_settings_come_from_the_environment_and_keep_the_secret_out_of_reprs() -> None:
    assert oidc_from_env({}) is None
    s = oidc_from_env(
        {
            "FIREBELL_OIDC_ISSUER": "https://id.example.test/",
            "FIREBELL_OIDC_CLIENT_ID": "fb",
            "FIREBELL_OIDC_CLIENT_SECRET": SECRET,
            "FIREBELL_OIDC_NAME": "Acme SSO",
        }
    )
    assert s is not None and s.issuer == "https://id.example.test" and s.name == "Acme SSO"
    assert SECRET not in repr(s)
    assert s.callback("http://127.0.0.1:8080") == "http://127.0.0.1:8080/console/sso/callback"
    with pytest.raises(OidcSettingsError, match="must use https"):
        oidc_from_env(
            {
                "FIREBELL_OIDC_ISSUER": "http://id.corp.test",
                "FIREBELL_OIDC_CLIENT_ID": "x",
                "FIREBELL_OIDC_CLIENT_SECRET": "y",
            }
        )
    with pytest.raises(OidcSettingsError, match="FIREBELL_OIDC_CLIENT_SECRET"):
        oidc_from_env({"FIREBELL_OIDC_ISSUER": "https://id.test", "FIREBELL_OIDC_CLIENT_ID": "x"})
    with pytest.raises(OidcSettingsError, match="FIREBELL_OIDC_MATCH"):
        oidc_from_env(
            {
                "FIREBELL_OIDC_ISSUER": "https://id.test",
                "FIREBELL_OIDC_CLIENT_ID": "x",
                "FIREBELL_OIDC_CLIENT_SECRET": "y",
                "FIREBELL_OIDC_MATCH": "name",
            }
        )


def test_sign_in_page_has_no_sso_button_when_not_configured(app_client: TestClient) -> None:
    page = app_client.get("/console/sign-in")
    assert page.status_code == 200 and "Sign in with" not in page.text
    assert app_client.get("/console/sso/start", follow_redirects=False).status_code == 404


def test_full_flow_signs_in_by_verified_email_with_pkce_state_and_nonce(
    client: TestClient, sso_runtime: Runtime, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts(sso_runtime).add("alice", "responder", email="Alice@Corp.test")
    idp_user(provider, "alice-sub-1", "alice@corp.test")
    url = start(client)
    asked = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{provider}/oauth2/authorize")
    assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert asked["nonce"][0] and asked["state"][0]
    assert "openid" in asked["scope"][0].split()
    with sso_runtime.sessions() as session:
        verifier = session.scalars(select(SsoLogin)).one().verifier
    assert create_s256_code_challenge(verifier) == asked["code_challenge"][0]
    done = callback(client, authorize(url, "alice-sub-1"))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/console/incidents"
    cookie = done.headers["set-cookie"]
    assert "firebell_session=" in cookie and "HttpOnly" in cookie
    assert client.get("/console/profile").text.count("alice") >= 1
    with sso_runtime.sessions() as session:
        user = session.scalars(select(User).where(User.name == "alice")).one()
        assert (user.sso_issuer, user.sso_subject) == (provider, "alice-sub-1")
        assert session.scalars(select(WebSession).where(WebSession.user_id == user.id)).one()
        assert session.scalars(select(SsoLogin)).first() is None  # used up
    # Signed in like a password user: the console works.
    assert client.get("/console/incidents").status_code == 200
    assert caplog.records and SECRET not in caplog.text  # the client secret is never logged


def test_unknown_email_is_told_there_is_no_firebell_account(
    client: TestClient, provider: str
) -> None:
    idp_user(provider, "stranger", "stranger@corp.test")
    response = callback(client, authorize(start(client), "stranger"))
    assert response.status_code == 403
    assert "no firebell account has that email address" in response.text
    assert "firebell_session" not in response.headers.get("set-cookie", "")


def test_unverified_email_is_not_matched(
    client: TestClient, sso_runtime: Runtime, provider: str
) -> None:
    accounts(sso_runtime).add("bob", "viewer", email="bob@corp.test")
    idp_user(provider, "bob-sub", "bob@corp.test", verified=False)
    response = callback(client, authorize(start(client), "bob-sub"))
    assert response.status_code == 403 and "has not verified" in response.text


def test_disabled_user_is_refused(client: TestClient, sso_runtime: Runtime, provider: str) -> None:
    acc = accounts(sso_runtime)
    acc.add("carol", "responder", email="carol@corp.test")
    acc.disable("carol")
    idp_user(provider, "carol-sub", "carol@corp.test")
    response = callback(client, authorize(start(client), "carol-sub"))
    assert response.status_code == 403 and "is disabled" in response.text
    assert "firebell_session" not in response.headers.get("set-cookie", "")


def test_bad_state_is_refused_and_the_attempt_is_used_up(
    client: TestClient, sso_runtime: Runtime, provider: str
) -> None:
    accounts(sso_runtime).add("dave", "responder", email="dave@corp.test")
    idp_user(provider, "dave-sub", "dave@corp.test")
    query = authorize(start(client), "dave-sub")
    bad = callback(client, {**query, "state": query["state"][:-2] + "xx"})
    assert bad.status_code == 400 and "(state)" in bad.text
    again = callback(client, query)  # the right state, but the attempt is gone
    assert again.status_code == 400 and "already used" in again.text


def test_callback_in_another_browser_is_refused(
    client: TestClient, sso_runtime: Runtime, provider: str
) -> None:
    """Login CSRF: an attacker's code and state, delivered to a victim's browser."""
    accounts(sso_runtime).add("erin", "responder", email="erin@corp.test")
    idp_user(provider, "erin-sub", "erin@corp.test")
    query = authorize(start(client), "erin-sub")
    with TestClient(create_app(sso_runtime)) as other:
        response = callback(other, query)
    assert response.status_code == 400 and "not started in this browser" in response.text


def test_tampered_and_replayed_codes_are_refused_by_the_provider(
    client: TestClient, sso_runtime: Runtime, provider: str
) -> None:
    accounts(sso_runtime).add("frank", "responder", email="frank@corp.test")
    idp_user(provider, "frank-sub", "frank@corp.test")
    query = authorize(start(client), "frank-sub")
    tampered = callback(client, {**query, "code": query["code"] + "x"})
    assert tampered.status_code == 401 and "refused the sign-in code" in tampered.text
    # A fresh attempt whose code is then used twice: the second use is refused.
    first = authorize(start(client), "frank-sub")
    assert callback(client, first).status_code == 303
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    replay = callback(client, {"code": first["code"], "state": state})
    assert replay.status_code == 401 and "refused the sign-in code" in replay.text


def test_a_late_return_is_refused(
    client: TestClient, sso_runtime: Runtime, provider: str, real_clock: FrozenClock
) -> None:
    accounts(sso_runtime).add("gina", "responder", email="gina@corp.test")
    idp_user(provider, "gina-sub", "gina@corp.test")
    query = authorize(start(client), "gina-sub")
    real_clock.advance(timedelta(minutes=11))
    response = callback(client, query)
    assert response.status_code == 400 and "longer than 10 minutes" in response.text


def test_an_expired_id_token_is_refused(
    client: TestClient, sso_runtime: Runtime, provider: str, real_clock: FrozenClock
) -> None:
    accounts(sso_runtime).add("hank", "responder", email="hank@corp.test")
    idp_user(provider, "hank-sub", "hank@corp.test")
    query = authorize(start(client), "hank-sub")
    # Past the token's lifetime and the minute of leeway, within the attempt's 10 minutes.
    real_clock.advance(timedelta(seconds=TOKEN_AGE + 120))
    response = callback(client, query)
    assert response.status_code == 403 and "ID token has expired" in response.text


def test_link_wins_and_another_identity_with_the_same_email_is_refused(
    client: TestClient, sso_runtime: Runtime, provider: str
) -> None:
    accounts(sso_runtime).add("ivy", "responder", email="ivy@corp.test")
    idp_user(provider, "ivy-sub", "ivy@corp.test")
    assert callback(client, authorize(start(client), "ivy-sub")).status_code == 303
    idp_user(provider, "impostor", "ivy@corp.test")
    response = callback(client, authorize(start(client), "impostor"))
    assert response.status_code == 403 and "linked to another identity" in response.text
    # An admin's reset forgets the link (the person changed accounts at the IdP).
    acc = accounts(sso_runtime)
    assert next(u for u in acc.list() if u.name == "ivy").sso_linked
    acc.reset("ivy")
    assert not next(u for u in acc.list() if u.name == "ivy").sso_linked
    assert callback(client, authorize(start(client), "impostor")).status_code == 303


def test_match_by_subject(database_url: str, tmp_path: Path, provider: str) -> None:
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        playbook_path=None,
        oidc=oidc(provider, match="subject"),
    )
    rt = build_runtime(settings, FrozenClock(datetime.now(UTC)), migrate=False)
    try:
        accounts(rt).add("jo", "viewer")
        with TestClient(create_app(rt)) as c:
            idp_user(provider, "nobody-here", "x@corp.test")
            refused = callback(c, authorize(start(c), "nobody-here"))
            assert refused.status_code == 403 and "no firebell account has that name" in (
                refused.text
            )
            idp_user(provider, "jo", "unverified@corp.test", verified=False)
            assert callback(c, authorize(start(c), "jo")).status_code == 303
    finally:
        rt.close()


def test_unreachable_issuer_says_so(database_url: str, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        home=tmp_path, database_url=database_url, playbook_path=None, oidc=oidc(dead)
    )
    rt = build_runtime(settings, FrozenClock(datetime.now(UTC)), migrate=False)
    try:
        with TestClient(create_app(rt)) as c:
            response = c.get("/console/sso/start", follow_redirects=False)
        assert response.status_code == 502 and "cannot be reached" in response.text
        assert SECRET not in response.text
    finally:
        rt.close()


def test_browser_signs_in_with_the_provider(tmp_path: Path, provider: str) -> None:
    with running_server(tmp_path, oidc=oidc(provider)) as server:
        accounts(server.runtime).add("kim", "responder", email="kim@corp.test")
        idp_user(provider, "kim-sub", "kim@corp.test")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            context = browser.new_context(base_url=server.url)
            # The provider's page asks a CDN for a stylesheet: nothing leaves the machine.
            context.route("https://**", lambda route: route.abort())
            page = context.new_page()
            page.goto("/console/profile")
            page.wait_for_url("**/console/sign-in?next=*")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / "sign-in-sso-1280-light.png")
            page.get_by_role("link", name="Sign in with Test IdP").click()
            page.wait_for_url(f"{provider}/oauth2/authorize*")
            page.get_by_placeholder("sub").fill("kim-sub")
            page.get_by_role("button", name="Authorize").click()
            page.wait_for_url("**/console/profile")
            assert page.get_by_role("heading", name="kim").is_visible()
            cookies = {c["name"]: c for c in context.cookies()}
            assert cookies["firebell_session"]["httpOnly"]
            # An IdP user with no firebell account is told so on the sign-in page.
            context.clear_cookies()
            idp_user(provider, "lee-sub", "lee@corp.test")
            page.goto("/console/sign-in")
            page.get_by_role("link", name="Sign in with Test IdP").click()
            page.wait_for_url(f"{provider}/oauth2/authorize*")
            page.get_by_placeholder("sub").fill("lee-sub")
            page.get_by_role("button", name="Authorize").click()
            page.wait_for_url("**/console/sso/callback*")
            alert = page.get_by_role("alert")
            assert "no firebell account has that email address" in alert.inner_text()
            page.screenshot(path=SCREENSHOTS / "sign-in-sso-refused-1280-light.png")
            browser.close()


def test_doctor_checks_the_issuer(sso_runtime: Runtime, provider: str) -> None:
    from firebell.doctor.findings import Level
    from firebell.doctor.run import diagnose

    [found] = [f for f in diagnose(sso_runtime) if f.check == "sso"]
    assert found.level == Level.OK and provider in found.message
    dead = f"http://127.0.0.1:{free_port()}"
    [bad] = checks.single_sign_on(dead, probes.oidc_issuer(dead))
    assert bad.level == Level.ERROR and "cannot be reached" in bad.message
    # The provider answers, but as another issuer than the one configured.
    [other] = checks.single_sign_on(provider, probes.oidc_issuer(provider + "/other"))
    assert other.level == Level.ERROR


def test_a_token_signed_with_another_key_is_refused(
    client: TestClient, sso_runtime: Runtime, provider: str, real_clock: FrozenClock
) -> None:
    console = client.app.state.console  # type: ignore[attr-defined]
    sso = console.sso
    meta = sso.metadata()
    forged_key = RSAKey.generate_key(2048)
    now = int(real_clock.now().timestamp())
    claims = {"iss": provider, "aud": CLIENT_ID, "sub": "x", "exp": now + 60, "iat": now}
    forged = jwt.encode({"alg": "RS256"}, claims, forged_key)
    with pytest.raises(SsoRefused, match="signature is not valid"):
        sso._verified_claims(forged, meta)
    unsigned = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(SECRET * 2))
    with pytest.raises(SsoRefused, match="signature is not valid"):
        sso._verified_claims(unsigned, meta)


def test_claims_are_checked() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    t = int(now.timestamp())
    good = {
        "iss": "https://id.test",
        "aud": "fb",
        "sub": "s1",
        "exp": t + 300,
        "iat": t,
        "nonce": "n1",
        "email": "a@corp.test",
        "email_verified": True,
    }

    def check(**changes: object) -> Identity:
        return check_claims(
            {**good, **changes}, issuer="https://id.test", client_id="fb", nonce="n1", now=now
        )

    assert check() == Identity("https://id.test", "s1", "a@corp.test", True)
    for changes, reason in (
        ({"iss": "https://evil.test"}, "another provider"),
        ({"aud": "other"}, "another application"),
        ({"aud": ["fb", "other"]}, "another application"),  # several audiences, no azp
        ({"exp": t - 61}, "expired"),
        ({"iat": t + 3600}, "future"),
        ({"nonce": "n2"}, "nonce"),
        ({"sub": ""}, "no subject"),
    ):
        with pytest.raises(SsoRefused, match=reason):
            check(**changes)
    assert check(aud=["fb", "other"], azp="fb").subject == "s1"
    assert check(exp=t - 30).subject == "s1"  # within the minute of leeway


def test_matching_rules() -> None:
    ident = Identity("https://id.test", "s1", "Ann@Corp.test", True)
    ann = Candidate(1, "ann", "ann@corp.test", False, None, None)
    twin = Candidate(2, "ann2", "ANN@corp.test", False, None, None)
    assert match_user(ident, [ann], "email") == ann
    with pytest.raises(SsoRefused, match="More than one"):
        match_user(ident, [ann, twin], "email")
    linked = Candidate(3, "zed", None, False, "https://id.test", "s1")
    assert match_user(ident, [ann, linked], "email") == linked  # the link wins
    with pytest.raises(SsoRefused, match="no firebell account has that name"):
        match_user(ident, [ann], "subject")


def test_starts_are_rate_limited_per_address(client: TestClient) -> None:
    codes = [
        client.get("/console/sso/start", follow_redirects=False).status_code for _ in range(21)
    ]
    assert codes[:20] == [303] * 20 and codes[20] == 429


def test_settings_file_holds_the_client_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "NAME", "MATCH"):
        monkeypatch.delenv(f"FIREBELL_OIDC_{key}", raising=False)
    path = write_settings(
        tmp_path,
        {
            "FIREBELL_OIDC_ISSUER": "https://id.corp.test",
            "FIREBELL_OIDC_CLIENT_ID": "firebell",
            "FIREBELL_OIDC_CLIENT_SECRET": SECRET,
            "FIREBELL_OIDC_MATCH": "subject",
        },
    )
    assert path.stat().st_mode & 0o777 == 0o600
    settings = Settings.resolve(home=tmp_path)
    assert settings.oidc is not None and settings.oidc.client_secret == SECRET
    assert settings.oidc.match == "subject" and SECRET not in repr(settings)
    monkeypatch.setenv("FIREBELL_OIDC_NAME", "Corp login")  # the environment wins
    assert Settings.resolve(home=tmp_path).oidc.name == "Corp login"  # type: ignore[union-attr]


def test_denied_at_the_provider_is_said_plainly(client: TestClient) -> None:
    url = start(client)
    response = httpx.post(url, data={"action": "deny"}, follow_redirects=False)
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    assert query["error"] == "access_denied" and "code" not in query
    refused = callback(client, query)
    assert refused.status_code == 401 and "did not sign you in (access_denied)" in refused.text
