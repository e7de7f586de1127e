"""What the HTTP channels share: one POST, and the mapping of every failure to DeliveryError.

Connection errors, timeouts, 429 and 5xx are transient; other 4xx (and 3xx: redirects are
not followed, a moved endpoint needs a new address) are permanent. Reasons never carry the
URL (a Slack or Teams webhook URL is itself a credential) and every configured secret is
scrubbed from them.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from firebell.channels.base import DeliveryError

USER_AGENT = "firebell"
EXCERPT = 200  # characters of a receiver's error answer kept in a reason


class RateLimited(DeliveryError):
    """HTTP 429 (or Slack's `ratelimited`): transient; `retry_after` is the receiver's hint
    in seconds when it gave one (`Retry-After`)."""

    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason, transient=True)
        self.retry_after = retry_after


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle for every request costs tens of milliseconds."""
    return httpx.create_ssl_context()


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare for these APIs, and only a hint
    return max(seconds, 0.0)


def excerpt(response: httpx.Response) -> str:
    """A short, one-line summary of an error answer: a JSON `error`/`message`/`code`, or text."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        text = response.text
    else:
        if isinstance(data, dict):
            parts = [
                f"{key}={data[key]}"
                for key in ("code", "error", "message")
                if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool)
            ]
            text = " ".join(parts) if parts else json.dumps(data)
        else:
            text = json.dumps(data)
    text = " ".join(text.split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def post(
    url: str,
    *,
    timeout: float,
    secrets: Iterable[str | None] = (),
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """POST and return a 2xx response, or raise DeliveryError."""
    secrets = list(secrets)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = httpx.post(
            url,
            headers=all_headers,
            auth=auth,
            json=json_body,
            data=form,
            content=content,
            timeout=timeout,
            verify=ssl_context(),
        )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
        # A malformed address or request: retrying cannot help.
        reason = redact(f"{type(exc).__name__}: {exc}", [*secrets, url])
        raise DeliveryError(reason, transient=False) from None
    except httpx.TransportError as exc:  # refused, reset, DNS, timeouts
        reason = redact(f"{type(exc).__name__}: {exc}", [*secrets, url])
        raise DeliveryError(reason, transient=True) from None
    check(response, [*secrets, url])  # an error page might echo the URL back
    return response


def check(response: httpx.Response, secrets: Iterable[str | None] = ()) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = excerpt(response) if status != 429 else ""
    reason = redact(f"HTTP {status}" + (f": {detail}" if detail else ""), secrets)
    if status == 429:
        wait = retry_after(response)
        hint = f" (retry after {wait:g}s)" if wait is not None else ""
        raise RateLimited(f"HTTP 429 rate limited{hint}", wait)
    raise DeliveryError(reason, transient=status >= 500)
