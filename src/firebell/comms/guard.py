"""Checks before a message leaves: nothing internal reaches an external audience (pure).

The forbidden patterns come from the playbook, so they run on RE2 (`firebell.patterns`):
a message of any length is checked in time linear in its length.
"""

from __future__ import annotations

from firebell import patterns
from firebell.playbook.schema import Communications


def leaks(text: str, forbidden: list[str], allowed: list[str] | None = None) -> list[str]:
    """The forbidden snippets found that no `allowed` pattern matches in full (empty when
    the text is clean). A text longer than a pattern search looks at is itself a finding:
    its tail could not be checked."""
    found = [
        snippet
        for snippet in patterns.snippets(forbidden, text)
        if not any(patterns.fullmatch(pattern, snippet) for pattern in allowed or ())
    ]
    if forbidden and patterns.too_long(text):
        found.append(f"<more than {patterns.MAX_TEXT} characters, too long to check>")
    return found


def customer_leaks(text: str, rules: Communications) -> list[str]:
    """`leaks` with the playbook's forbidden and allowed patterns: what every message,
    notice or summary meant for customers is checked with."""
    return leaks(
        text, rules.customer_message_forbidden_patterns, rules.customer_message_allowed_patterns
    )
