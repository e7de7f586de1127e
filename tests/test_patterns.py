"""User- and playbook-supplied regular expressions run on RE2, in linear time (issue 9)."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest

from firebell import patterns
from firebell.comms.guard import leaks
from firebell.intake.routing import Matcher

EVIL = "(a+)+b"


def median_seconds(work: Callable[[], object], runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def test_the_catastrophic_pattern_is_instant_on_re2() -> None:
    text = "a" * 27  # froze Python's re for ~17 s (issue 9)
    assert not patterns.fullmatch(EVIL, text)
    assert patterns.fullmatch(EVIL, text + "b")
    assert median_seconds(lambda: patterns.fullmatch(EVIL, text)) < 0.01


@pytest.mark.parametrize(
    ("pattern", "text"),
    [(EVIL, "a"), ("(x+x+)+y", "x"), ("(\\w+\\s?)+\\$", "word ")],
)
def test_a_megabyte_costs_no_more_than_linear_growth_allows(pattern: str, text: str) -> None:
    """16x the input may cost at most 64x the time (plus timer noise): exponential engines
    never finish the large input, and a quadratic loop of ours would take ~256x. The 50 ms
    target itself is measured by bench/patterns.py, not here."""
    small, large = text * (64 * 1024 // len(text)), text * (1024 * 1024 // len(text))
    patterns.compile_pattern(pattern)  # compiled once, outside the timing
    for check in (patterns.fullmatch, lambda p, t: patterns.snippets([p], t)):
        t_small = median_seconds(lambda c=check: c(pattern, small))  # type: ignore[misc]
        t_large = median_seconds(lambda c=check: c(pattern, large))  # type: ignore[misc]
        assert t_large < 64 * t_small + 0.05, (t_small, t_large)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a)\\1", "invalid escape sequence"),  # a backreference
        ("(?!support@)\\w+", "invalid perl operator"),  # look-ahead
        ("(a", "missing )"),
        ("a{2000}", "invalid repetition size"),
        ("x" * 1001, "longer than 1000"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(patterns.PatternError, match=re.escape(reason)):
        patterns.check(pattern)
    with pytest.raises(ValueError, match=re.escape(reason)):
        Matcher("labels.team", "=~", pattern)


def test_a_leak_pattern_matching_the_empty_string_is_refused() -> None:
    patterns.check("x*")
    with pytest.raises(patterns.PatternError, match="empty string"):
        patterns.check("x*", empty_ok=False)


def test_a_megabyte_message_is_checked_whole() -> None:
    forbidden = ["(?i)\\bbearer\\s+[a-z0-9._~+/=-]{8,}", "(\\w+\\s?)+\\$"]
    body = ("word " * 210_000)[: patterns.MAX_TEXT - 40] + " Bearer abcdefgh12345678"
    assert len(body) <= patterns.MAX_TEXT
    assert leaks(body, forbidden) == ["Bearer abcdefgh12345678"]


def test_a_message_longer_than_the_cap_is_a_finding_not_a_pass() -> None:
    body = "x" * (patterns.MAX_TEXT + 1)
    assert leaks(body, ["secret"]) == [
        f"<more than {patterns.MAX_TEXT} characters, too long to check>"
    ]
    assert leaks(body, []) == []
    assert not patterns.fullmatch("x+", body)  # never matched, rather than half-read


def test_matches_nearly_everywhere_stop_early() -> None:
    text = "a" * patterns.MAX_TEXT
    assert leaks(text, ["a"]) == ["a"]
    assert median_seconds(lambda: leaks(text, ["a"])) < 1.0


def test_matching_is_unicode_aware_and_anchored() -> None:
    assert patterns.fullmatch("caf.", "café")
    assert not patterns.fullmatch("caf", "café")
    assert patterns.snippets(["é+"], "ab ééé cd é") == ["ééé", "é"]
