"""Single sign-on with OpenID Connect (the shell): discovery, the redirect, the code
exchange and the ID token's signature, the link on the user.

The authorization-code flow with PKCE (S256), `state` and `nonce`. Each attempt is a row
(`SsoLogin`) found by the digest of a random secret held in an HttpOnly cookie of the
browser that started it, so a callback from another browser (login CSRF), a replayed or
altered `state`, and a second use are all refused. The client exchange is authlib's; the
ID token is verified with joserfc (authlib's own JOSE library) against the provider's JWKS;
which claims are acceptable and which user they mean is decided in `firebell.auth.oidc`.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.oidc import (
    Candidate,
    Identity,
    OidcSettings,
    ProviderMetadata,
    SsoRefused,
    check_claims,
    match_user,
)
from firebell.clock import Clock
from firebell.store.db import transaction
from firebell.store.models import SsoLogin, User
from firebell.web.accounts import UserView, digest

log = logging.getLogger(__name__)
ATTEMPT_VALID = timedelta(minutes=10)  # from the redirect to the provider until its return
TIMEOUT = 10.0
METADATA_TTL = 3600.0  # seconds a discovery document and key set are reused


@dataclass(frozen=True)
class Started:
    secret: str  # for the browser's cookie
    url: str  # the provider's authorization URL to redirect to


@dataclass(frozen=True)
class Finished:
    user: UserView
    next: str


def discover(issuer: str, timeout: float = TIMEOUT) -> ProviderMetadata:
    """Fetch and check `issuer/.well-known/openid-configuration`."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoRefused(
            f"the identity provider at {issuer} cannot be reached ({type(exc).__name__}); "
            "try again later or sign in with a password",
            502,
        ) from None
    return ProviderMetadata.parse(document, issuer)


class SingleSignOn:
    def __init__(
        self,
        settings: OidcSettings,
        sessions: sessionmaker[Session],
        clock: Clock,
        base_url: str,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.redirect_uri = settings.callback(base_url)
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    # --- the flow ------------------------------------------------------------------------

    def begin(self, after: str) -> Started:
        """A new attempt: the row, and the provider's URL to send the browser to."""
        meta = self.metadata()
        secret = secrets.token_urlsafe(32)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128
        now = self.clock.now()
        with transaction(self.sessions) as session:
            session.execute(delete(SsoLogin).where(SsoLogin.expires_at <= now))
            session.add(
                SsoLogin(
                    digest=digest(secret),
                    state=state,
                    nonce=nonce,
                    verifier=verifier,
                    next=after[:2000],
                    created_at=now,
                    expires_at=now + ATTEMPT_VALID,
                )
            )
        url = prepare_grant_uri(
            meta.authorization_endpoint,
            client_id=self.settings.client_id,
            response_type="code",
            redirect_uri=self.redirect_uri,
            scope=self.settings.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return Started(secret, str(url))

    def finish(
        self,
        secret: str | None,
        state: str | None,
        code: str | None,
        error: str | None = None,
    ) -> Finished:
        """The user the provider's answer signs in, or SsoRefused saying why. The attempt
        is used up whatever the outcome."""
        pending = self._take(secret)
        if pending is None:
            raise SsoRefused(
                "This sign-in was not started in this browser, was already used or took "
                "longer than 10 minutes. Start again.",
                400,
            )
        if error:
            # An error signs nobody in, so it is reported even without `state` (some
            # providers leave it out); only an RFC 6749 error code is shown, never free text.
            code_word = error if re.fullmatch(r"[a-z_]{1,40}", error) else "error"
            raise SsoRefused(f"The identity provider did not sign you in ({code_word}).", 401)
        if not state or not hmac.compare_digest(state, pending.state):
            raise SsoRefused(
                "The answer from the identity provider does not match this "
                "sign-in (state). Start again.",
                400,
            )
        if not code:
            raise SsoRefused("The identity provider sent no sign-in code. Start again.", 400)
        meta = self.metadata()
        token = self._exchange(meta, code, pending.verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoRefused("The identity provider sent no ID token.", 502)
        claims = self._verified_claims(id_token, meta)
        identity = check_claims(
            claims,
            issuer=meta.issuer,
            client_id=self.settings.client_id,
            nonce=pending.nonce,
            now=self.clock.now(),
        )
        return Finished(self._sign_in_as(identity), pending.next)

    # --- pieces --------------------------------------------------------------------------

    def metadata(self) -> ProviderMetadata:
        cached = self._metadata
        if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
        meta = discover(self.settings.issuer)
        self._metadata = (time.monotonic(), meta)
        return meta

    def _exchange(self, meta: ProviderMetadata, code: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for the code (RFC 6749 4.1.3 with the PKCE verifier),
        the client authenticated with its secret (HTTP Basic unless the provider only takes
        it in the body)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        auth: tuple[str, str] | None = None
        if "client_secret_basic" in meta.auth_methods:
            # RFC 6749 2.3.1: both parts form-encoded before Basic.
            auth = (
                quote_plus(self.settings.client_id, safe=""),
                quote_plus(self.settings.client_secret, safe=""),
            )
        else:
            form |= {
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret,
            }
        try:
            response = httpx.post(
                meta.token_endpoint,
                data=form,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=TIMEOUT,
                follow_redirects=False,
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused(
                f"The identity provider cannot be reached ({type(exc).__name__}).", 502
            ) from None
        if response.status_code != 200 or not isinstance(answer, dict):
            problem = answer.get("error") if isinstance(answer, dict) else None
            log.info(
                "single sign-on: the token endpoint said %s (%s)", response.status_code, problem
            )
            raise SsoRefused(
                "The identity provider refused the sign-in code (used, expired or "
                "altered). Start again.",
                401,
            )
        return answer

    def _take(self, secret: str | None) -> SsoLogin | None:
        """The attempt this browser started, deleted so it serves once (None if unknown or
        expired)."""
        if not secret:
            return None
        with transaction(self.sessions) as session:
            row = session.scalars(select(SsoLogin).where(SsoLogin.digest == digest(secret))).first()
            if row is None:
                return None
            session.delete(row)
            session.flush()
            session.expunge(row)
        return row if row.expires_at > self.clock.now() else None

    def _key_set(self, meta: ProviderMetadata, fresh: bool) -> KeySet:
        cached = self._keys
        if not fresh and cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
        try:
            response = httpx.get(meta.jwks_uri, timeout=TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            raise SsoRefused(
                f"The identity provider's signing keys cannot be read ({type(exc).__name__}).",
                502,
            ) from None
        self._keys = (time.monotonic(), keys)
        return keys

    def _verified_claims(self, id_token: str, meta: ProviderMetadata) -> dict[str, Any]:
        """The ID token's claims if its signature is good (keys fetched again once, for a
        provider that rotated them)."""
        for fresh in (False, True):
            keys = self._key_set(meta, fresh)
            try:
                decoded = jwt.decode(id_token, keys, algorithms=list(meta.algorithms))
            except (JoseError, ValueError):
                continue
            return dict(decoded.claims)
        raise SsoRefused("The ID token's signature is not valid.", 401)

    def _sign_in_as(self, identity: Identity) -> UserView:
        with transaction(self.sessions) as session:
            conditions = [
                (User.sso_issuer == identity.issuer) & (User.sso_subject == identity.subject),
                User.name == identity.subject,
            ]
            if identity.email:
                conditions.append(func.lower(User.email) == identity.email.lower())
            rows = list(session.scalars(select(User).where(or_(*conditions)).order_by(User.id)))
            chosen = match_user(
                identity,
                [
                    Candidate(
                        u.id,
                        u.name,
                        u.email,
                        u.disabled_at is not None,
                        u.sso_issuer,
                        u.sso_subject,
                    )
                    for u in rows
                ],
                self.settings.match,
            )
            user = next(u for u in rows if u.id == chosen.id)
            if user.sso_subject is None:
                user.sso_issuer = identity.issuer
                user.sso_subject = identity.subject
            return UserView.of(user)
