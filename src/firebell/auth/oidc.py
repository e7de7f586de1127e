"""Single sign-on with OpenID Connect: the settings and the pure decisions.

What the shell (`firebell.web.sso`) gathers — the provider's metadata, the signed ID
token's claims, the users — comes in here; whether the claims are acceptable and which
firebell user they mean is decided here, with `now` passed in. Nothing here touches the
network, the database or the clock.

Matching: a user already linked to the identity (issuer + subject) is that user. Else, by
`FIREBELL_OIDC_MATCH`: `email` (the default) takes the one user whose email is the IdP's
*verified* email; `subject` takes the user whose name is the IdP's subject. Nobody is
created: an identity with no firebell account is refused with a message saying so.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

Match = Literal["email", "subject"]
MATCHES: tuple[Match, ...] = ("email", "subject")
CALLBACK_PATH = "/console/sso/callback"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Clock difference tolerated between us and the identity provider.
LEEWAY = timedelta(seconds=60)
# Signature algorithms accepted on an ID token: asymmetric only (no `none`, no HMAC with
# the client secret), whatever the provider's metadata offers.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


class OidcSettingsError(ValueError):
    """A FIREBELL_OIDC_* setting that cannot work; names the setting."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)  # never in a repr, a log line or a page
    name: str = "single sign-on"  # shown as "Sign in with <name>"
    match: Match = "email"
    scopes: str = "openid email profile"
    redirect_url: str | None = None  # default: the server's base URL + CALLBACK_PATH

    def callback(self, base_url: str) -> str:
        return self.redirect_url or base_url.rstrip("/") + CALLBACK_PATH


def oidc_from_env(env: Mapping[str, str]) -> OidcSettings | None:
    """FIREBELL_OIDC_ISSUER turns single sign-on on; the client id and secret must come
    with it (the secret from the 0600 settings file or the environment)."""
    issuer = env.get("FIREBELL_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query:
        raise OidcSettingsError(
            f"FIREBELL_OIDC_ISSUER: '{issuer}' is not an http(s) URL without a query"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        # The client secret and the ID token would cross the network in clear.
        raise OidcSettingsError(
            f"FIREBELL_OIDC_ISSUER: '{issuer}' must use https (plain http only on loopback)"
        )
    client_id = env.get("FIREBELL_OIDC_CLIENT_ID", "").strip()
    secret = env.get("FIREBELL_OIDC_CLIENT_SECRET", "")
    if not client_id:
        raise OidcSettingsError("FIREBELL_OIDC_CLIENT_ID: needed with FIREBELL_OIDC_ISSUER")
    if not secret:
        raise OidcSettingsError("FIREBELL_OIDC_CLIENT_SECRET: needed with FIREBELL_OIDC_ISSUER")
    wanted = env.get("FIREBELL_OIDC_MATCH", "email").strip().lower()
    match = next((m for m in MATCHES if m == wanted), None)
    if match is None:
        raise OidcSettingsError(f"FIREBELL_OIDC_MATCH: '{wanted}' is not one of email, subject")
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        name=env.get("FIREBELL_OIDC_NAME", "").strip() or "single sign-on",
        match=match,
        scopes=env.get("FIREBELL_OIDC_SCOPES", "").strip() or "openid email profile",
        redirect_url=env.get("FIREBELL_OIDC_REDIRECT_URL", "").strip() or None,
    )


class SsoRefused(Exception):
    """Single sign-on did not sign anyone in; `message` is for the person, `status` the
    HTTP status of the page that says so."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of `/.well-known/openid-configuration` firebell uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...] = ("client_secret_basic",)

    @classmethod
    def parse(cls, document: Any, expected_issuer: str) -> ProviderMetadata:
        """Validate a discovery document (pure). Its issuer must be the configured one
        (OpenID Connect Discovery 1.0, section 4.3)."""
        if not isinstance(document, dict):
            raise SsoRefused("the identity provider's discovery document is not an object", 502)
        missing = [
            k
            for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(document.get(k), str) or not document[k]
        ]
        if missing:
            raise SsoRefused(
                f"the identity provider's discovery document lacks {', '.join(missing)}", 502
            )
        if document["issuer"].rstrip("/") != expected_issuer.rstrip("/"):
            raise SsoRefused(
                f"the identity provider calls itself '{document['issuer']}', not the "
                f"configured issuer '{expected_issuer}'",
                502,
            )
        offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = tuple(a for a in offered if isinstance(a, str) and a in ALGORITHMS)
        if not algorithms:
            raise SsoRefused(
                "the identity provider signs ID tokens with no accepted algorithm", 502
            )
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            algorithms=algorithms,
            # RFC 8414: absent means client_secret_basic.
            auth_methods=tuple(
                m
                for m in document.get("token_endpoint_auth_methods_supported")
                or ["client_secret_basic"]
                if isinstance(m, str)
            ),
        )


@dataclass(frozen=True)
class Identity:
    """Who the identity provider says signed in (from a checked ID token)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


def check_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
) -> Identity:
    """The identity in an ID token whose signature was checked, if its claims are right for
    this sign-in (OpenID Connect Core 1.0, 3.1.3.7): issuer, audience, expiry, nonce."""
    if str(claims.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        raise SsoRefused("the ID token was issued by another provider")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise SsoRefused("the ID token was issued for another application")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SsoRefused("the ID token was issued for another application")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or now.timestamp() >= exp + LEEWAY.total_seconds():
        raise SsoRefused("the ID token has expired; sign in again")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and iat > now.timestamp() + LEEWAY.total_seconds():
        raise SsoRefused("the ID token was issued in the future (check the clocks)")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, nonce):
        raise SsoRefused("the ID token does not belong to this sign-in (nonce); sign in again")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SsoRefused("the ID token names no subject")
    email = claims.get("email")
    verified = claims.get("email_verified")
    return Identity(
        issuer=issuer,
        subject=subject,
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        email_verified=verified is True or verified == "true",
    )


@dataclass(frozen=True)
class Candidate:
    """A firebell user as matching sees it."""

    id: int
    name: str
    email: str | None
    disabled: bool
    sso_issuer: str | None
    sso_subject: str | None


def match_user(identity: Identity, users: Sequence[Candidate], match: Match) -> Candidate:
    """The enabled firebell user this identity signs in as, or SsoRefused saying why."""
    linked = [
        u for u in users if u.sso_issuer == identity.issuer and u.sso_subject == identity.subject
    ]
    if linked:
        user = linked[0]
    elif match == "subject":
        named = [u for u in users if u.name == identity.subject]
        if not named:
            raise SsoRefused(
                f"You signed in at the identity provider as '{identity.subject}', but no "
                "firebell account has that name. Ask an admin to add you "
                "(firebell user add NAME)."
            )
        user = named[0]
    else:
        if identity.email is None:
            raise SsoRefused(
                "The identity provider did not tell firebell your email address, so no "
                "firebell account could be found. Ask an admin."
            )
        if not identity.email_verified:
            raise SsoRefused(
                f"The identity provider has not verified the email address {identity.email}; "
                "firebell only matches verified addresses. Ask an admin."
            )
        wanted = identity.email.casefold()
        found = [u for u in users if u.email is not None and u.email.casefold() == wanted]
        if not found:
            raise SsoRefused(
                f"You signed in at the identity provider as {identity.email}, but no firebell "
                "account has that email address. Ask an admin to add you "
                "(firebell user add NAME --email ADDRESS)."
            )
        if len(found) > 1:
            raise SsoRefused(
                f"More than one firebell account has the email address {identity.email}; "
                "ask an admin to give each account its own address."
            )
        user = found[0]
    if user.sso_subject is not None and (
        user.sso_issuer != identity.issuer or user.sso_subject != identity.subject
    ):
        raise SsoRefused(
            f"The firebell account '{user.name}' is linked to another identity at the "
            "identity provider. Ask an admin."
        )
    if user.disabled:
        raise SsoRefused(f"The firebell account '{user.name}' is disabled. Ask an admin.")
    return user
