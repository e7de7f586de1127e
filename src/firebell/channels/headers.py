"""Header values made safe for every channel.

An incident title is user text: a newline in it must not split an e-mail header (which
Python's e-mail package refuses outright, so the page would fail for good), inject a Bcc,
break a Slack header block or an HTTP header. Every channel puts subjects, titles and
other user text into headers through `one_line`, and into HTTP headers through
`http_header`.
"""

from __future__ import annotations

import base64
import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_HEADER = 998 - len("Subject: ")  # RFC 5322's line limit


def one_line(value: str, limit: int = MAX_HEADER) -> str:
    """Control characters (CR and LF included) become spaces; runs of space collapse."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def http_header(value: str) -> str:
    """One line, and as one RFC 2047 encoded-word if it is not plain ASCII (HTTP header
    values are latin-1 on the wire)."""
    text = one_line(value)
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode("ascii") + "?="
