"""The intake edge: turn a request body into JSON that every database can store, or a 400.

Two things pass a JSON parser yet fail later, inside a shared group-commit batch:

- **text no database stores the same way**: a NUL (``\\u0000``) is refused by PostgreSQL
  (text and JSON) but kept by SQLite; a lone UTF-16 surrogate (``\\ud800``, valid JSON, or
  the raw bytes ``ED A0 80``, which Python's decoder lets through) cannot be encoded as
  UTF-8 by either driver;
- **deep nesting**: a thousand nested arrays exhaust Python's recursion limit in the
  parser or later when the document is serialized for storage.

Both are refused here, the same way on every database, with the JSON path of the first
offending value, so one bad sender cannot fail anyone else's events. The checks cost
almost nothing on ordinary payloads: the text walk runs only when the raw bytes contain an
escape or a lead byte that could produce such a character, and the depth walk only when
the body has more brackets than the depth limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from firebell.intake.errors import IntakeError
from firebell.intake.validation import child

MAX_DEPTH = 64
# Characters no database stores identically: NUL and the UTF-16 surrogate range (a valid
# pair is joined into one code point by the JSON decoder, so any left over is lone).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In the raw body: a \u escape (any character may hide behind one) or the UTF-8 lead byte
# of U+D000..U+DFFF (raw surrogates; also Hangul, which just takes the careful path).
_SUSPECT = re.compile(rb"\\u|\xed")


class UnreadablePayload(IntakeError):
    """A body that is JSON but cannot be stored: answered 400 (the request itself is bad),
    where a payload that breaks a format's rules is answered 422."""

    status = 400


def load_json(body: bytes) -> Any:
    """The decoded document, or an IntakeError that says why not (400 or 422)."""
    if not body.strip():
        raise IntakeError.single("$", "the body is empty; send a JSON document")
    try:
        document = json.loads(body)
    except RecursionError:
        raise _too_deep("$") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntakeError.single("$", f"the body is not valid JSON: {exc}") from None
    check_document(document, body)
    return document


def check_document(document: Any, body: bytes | None = None) -> None:
    """Raise UnreadablePayload for nesting past MAX_DEPTH or text with NUL or a lone
    surrogate. With the raw `body`, walks only what its bytes say could be wrong."""
    depth_risk = body is None or body.count(b"[") + body.count(b"{") > MAX_DEPTH
    text_risk = body is None or _SUSPECT.search(body) is not None
    if depth_risk or text_risk:
        _walk(document, text_risk)


def _walk(document: Any, check_text: bool) -> None:
    stack: list[tuple[str, Any, int]] = [("$", document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            if check_text:
                _check_text(path, value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise _too_deep(path)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and check_text:
                _check_text(child(path, key), key, is_key=True)
            stack.append((child(path, key), item, depth + 1))


def _check_text(path: str, text: str, *, is_key: bool = False) -> None:
    if text.isascii() and "\x00" not in text:
        return
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    what = "a NUL character (\\u0000)" if found.group() == "\x00" else "a lone UTF-16 surrogate"
    verb = "is a key that contains" if is_key else "contains"
    reason = (
        f"{verb} {what} at position {found.start()}, which cannot be stored; "
        "remove it or replace it (for example with U+FFFD)"
    )
    raise UnreadablePayload([(path, reason)])


def _too_deep(path: str) -> UnreadablePayload:
    return UnreadablePayload([(path, f"is nested more than {MAX_DEPTH} levels deep; flatten it")])
