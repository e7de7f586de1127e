"""No secrets in logs.

Webhook URLs are credentials (a Slack, Teams or Mattermost incoming-webhook URL *is* its
secret; ntfy topics and iCalendar links carry theirs in the path or query), and API tokens
are bearer secrets. The HTTP client logs every request's full URL at INFO, so:

- httpx and httpcore log at WARNING only;
- every record that reaches firebell's log handler goes through `redact`: a URL keeps its
  scheme and host, and loses its user-info, path and query; bearer tokens and firebell
  tokens (`fb_…`) become `***`.

`firebell serve` and `firebell worker` call `configure_logging()` once at start.
"""

from __future__ import annotations

import logging
import re
from typing import IO

_URL = re.compile(r"\b(https?|wss?)://(?:[^\s/@\"'<>]*@)?([^\s/?#\"'<>]+)([^\s\"'<>]*)")
_BEARER = re.compile(r"(?i)\b(bearer|genieKey|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_FIREBELL_TOKEN = re.compile(r"\bfb_[A-Za-z0-9_-]{16,}")
QUIET = ("httpx", "httpcore", "alembic")
FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def _url(match: re.Match[str]) -> str:
    scheme, host, rest = match.group(1), match.group(2), match.group(3)
    return f"{scheme}://{host}" + ("/***" if rest.strip("/") else "")


def redact(text: str) -> str:
    """Text with URL paths, queries and user-info, and bearer tokens, replaced (pure)."""
    text = _URL.sub(_url, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    return _FIREBELL_TOKEN.sub("fb_***", text)


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, so no argument escapes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """One handler on the root logger, redacting everything it writes; noisy HTTP client
    loggers quieted. Returns the handler (tests remove it)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
