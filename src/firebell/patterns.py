"""Regular expressions written by users and playbook authors, run in linear time.

Every pattern firebell did not write itself (silence and routing matchers, the
customer-message leak check, anything a playbook or an API caller supplies) goes through
this module, never through `re`: Python's backtracking engine takes exponential time on
patterns such as ``(a+)+b``, and one such pattern froze the whole process for seconds.
RE2 guarantees time linear in the input and refuses what it cannot do that way
(backreferences, look-around), so such a pattern is rejected when the playbook is
validated or the API request is made, with RE2's own reason.

Inputs are capped too (`MAX_TEXT`), so even linear work stays bounded; and a search stops
after `MAX_MATCHES` matches, so a pattern that matches nearly everywhere costs no more than
one that matches once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import re2

MAX_PATTERN = 1_000  # characters of a pattern
MAX_TEXT = 1 << 20  # characters of the text a pattern is run against (1 Mi)
MAX_MATCHES = 100  # matches a search looks at before it stops
_MAX_MEMORY = 4 << 20  # bytes RE2 may use for one compiled pattern


class PatternError(ValueError):
    """A pattern that cannot be used; the message is the reason, fit for a person."""


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = _MAX_MEMORY
    options.log_errors = False  # the reason goes to the person in the error, not stderr
    return options


_OPTIONS = _options()


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re2._Regexp:
    """The compiled pattern, or PatternError saying why it is refused."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise PatternError(f"is not a regular expression RE2 accepts: {_why(exc)}") from None


def check(pattern: str, *, empty_ok: bool = True) -> None:
    """Validation: PatternError unless `pattern` compiles (and, with ``empty_ok=False``,
    cannot match the empty string, which would match every text everywhere)."""
    compiled = compile_pattern(pattern)
    if not empty_ok and compiled.fullmatch("") is not None:
        raise PatternError("matches the empty string, so it would match every text")


def fullmatch(pattern: str, text: str) -> bool:
    """Whether the whole of `text` matches; text over MAX_TEXT characters never matches."""
    if len(text) > MAX_TEXT:
        return False
    return compile_pattern(pattern).fullmatch(text) is not None


def snippets(patterns: Iterable[str], text: str) -> list[str]:
    """The distinct non-empty pieces of `text` that any of `patterns` finds, in order found.
    Only the first MAX_TEXT characters are searched; see `too_long`. The patterns run as
    one alternation over the text's UTF-8 bytes: one pass, whatever their number."""
    wanted = tuple(patterns)
    if not wanted:
        return []
    window = text[:MAX_TEXT].encode("utf-8", "surrogatepass")
    found: list[str] = []
    for count, match in enumerate(_alternation(wanted).finditer(window)):
        if count >= MAX_MATCHES:
            break
        snippet = match.group(0).decode("utf-8", "replace")
        if snippet and snippet not in found:
            found.append(snippet)
    return found


@lru_cache(maxsize=64)
def _alternation(wanted: tuple[str, ...]) -> re2._Regexp:
    for pattern in wanted:
        compile_pattern(pattern)  # each one valid on its own (and its reason if not)
    joined = "|".join(f"(?:{pattern})" for pattern in wanted)
    try:
        return re2.compile(joined, _OPTIONS)
    except re2.error as exc:
        raise PatternError(f"together are too large for RE2: {_why(exc)}") from None


def too_long(text: str) -> bool:
    """Whether `text` is longer than a pattern search looks at."""
    return len(text) > MAX_TEXT


def _why(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason).strip() or type(exc).__name__
