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
almost nothing on ordinary payloads: the depth is measured on the raw bytes (in C), the
text walk runs only when the bytes hold an escape or byte sequence that could decode to
such a character, and only a refused document is walked to name the deep field.
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
# In the raw body, what could decode to one of them: a \u0000 or surrogate-range escape
# (valid pairs, e.g. emoji, also match and just take the careful path) or the raw UTF-8 of
# a surrogate (ED A0..BF; Python's JSON decoder lets it through).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_SUSPECT_RAW = re.compile(rb"\xed[\xa0-\xbf]")


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


def check_document(document: Any, body: bytes) -> None:
    """Raise UnreadablePayload for nesting past MAX_DEPTH or text with NUL or a lone
    surrogate; `body` is the raw bytes `document` was decoded from."""
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep_at(document):
        _name_the_field(document)
    if _suspect(body) and _unstorable_text(document):
        _name_the_field(document)


def _suspect(body: bytes) -> bool:
    """Whether the bytes could decode to unstorable text (memchr-fast when they cannot)."""
    if b"\\u" in body and _SUSPECT_ESCAPE.search(body):
        return True
    return b"\xed" in body and _SUSPECT_RAW.search(body) is not None


def _too_deep_at(document: Any) -> bool:
    """Whether containers nest past MAX_DEPTH: level by level, containers only, no paths
    (a hot path for large payloads, hence the plain loops and exact type tests)."""
    level = [document] if type(document) in (dict, list) else []
    for _ in range(MAX_DEPTH):
        deeper = []
        for value in level:
            for item in value.values() if type(value) is dict else value:
                if type(item) is dict or type(item) is list:
                    deeper.append(item)
        if not deeper:
            return False
        level = deeper
    return True


def _unstorable_text(document: Any) -> bool:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            if any(_UNSTORABLE.search(key) for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _name_the_field(document: Any) -> None:
    """The slow walk, for a document already known to be refused: raise naming the first
    field that is too deep or holds unstorable text."""
    stack: list[tuple[str, Any, int]] = [("$", document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(path, value)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise _too_deep(path)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
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
