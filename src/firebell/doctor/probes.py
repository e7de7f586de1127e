"""Live checks of the configured channels, each against its configured base URL:
SMTP login, Slack `auth.test`, Twilio account fetch. Each returns None when the service
accepted the credentials, else the reason (never a credential)."""

from __future__ import annotations

import smtplib
from urllib.parse import quote

import httpx

from firebell.channels import _http
from firebell.channels.base import DeliveryError
from firebell.channels.email import SmtpSettings
from firebell.channels.registry import ChannelSettings, SlackApiSettings, TwilioSettings
from firebell.channels.slack_api import SlackApi

TIMEOUT = 5.0


def smtp(settings: SmtpSettings) -> str | None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT) as client:
            client.ehlo_or_helo_if_needed()
            if settings.starttls:
                client.starttls(context=_http.ssl_context())
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.noop()
    except smtplib.SMTPAuthenticationError as exc:
        return f"login refused (SMTP {exc.smtp_code})"
    except smtplib.SMTPResponseException as exc:
        return f"SMTP {exc.smtp_code}"
    except (OSError, smtplib.SMTPException) as exc:
        return f"cannot talk to {settings.host}:{settings.port} ({type(exc).__name__}: {exc})"
    return None


def slack(settings: SlackApiSettings) -> str | None:
    api = SlackApi(settings.bot_token.get_secret_value(), settings.base_url, timeout=TIMEOUT)
    try:
        api.call("auth.test", {})
    except DeliveryError as exc:
        return f"auth.test: {exc}"
    return None


def twilio(settings: TwilioSettings) -> str | None:
    url = (
        f"{settings.base_url.rstrip('/')}/2010-04-01/Accounts/"
        f"{quote(settings.account_sid, safe='')}.json"
    )
    secret = settings.auth_token.get_secret_value()
    try:
        response = httpx.get(
            url, auth=(settings.account_sid, secret), timeout=TIMEOUT, verify=_http.ssl_context()
        )
    except httpx.HTTPError as exc:
        return _http.redact(f"account fetch: {type(exc).__name__}: {exc}", [secret])
    if response.status_code in (401, 403):
        return f"account fetch: credentials refused (HTTP {response.status_code})"
    if response.status_code != 200:
        return f"account fetch: HTTP {response.status_code}"
    return None


def all_channels(
    smtp_settings: SmtpSettings | None, channels: ChannelSettings
) -> dict[str, str | None]:
    """method -> problem (None: fine), for every configured channel that has a check."""
    results: dict[str, str | None] = {}
    if smtp_settings is not None:
        results["email"] = smtp(smtp_settings)
    if channels.slack_api is not None:
        results["slack"] = slack(channels.slack_api)
    if channels.twilio is not None:
        results["twilio"] = twilio(channels.twilio)
    return results


def server(base_url: str, verify: bool = True) -> str | None:
    """Is `firebell serve` answering at its address, with its database?"""
    try:
        response = httpx.get(f"{base_url}/readyz", timeout=TIMEOUT, verify=verify)
    except httpx.HTTPError as exc:
        return f"no answer at {base_url} ({type(exc).__name__})"
    if response.status_code != 200:
        return f"{base_url}/readyz answered HTTP {response.status_code}"
    return None


def oidc_issuer(issuer: str) -> str | None:
    """Single sign-on: does the issuer answer its discovery document, naming itself?"""
    from firebell.auth.oidc import SsoRefused
    from firebell.web.sso import discover

    try:
        discover(issuer, timeout=TIMEOUT)
    except SsoRefused as exc:
        return exc.message
    return None
