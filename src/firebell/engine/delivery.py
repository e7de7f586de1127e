"""Delivery policy as pure decisions: when to retry, when to give up."""

from __future__ import annotations

from datetime import timedelta

MAX_ATTEMPTS = 5
LEASE = timedelta(seconds=60)  # longer than any channel's timeout


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s, 40 s … capped at 5 minutes."""
    return min(timedelta(seconds=5 * 2 ** max(attempt - 1, 0)), timedelta(minutes=5))


def should_retry(attempts: int, transient: bool) -> bool:
    return transient and attempts < MAX_ATTEMPTS
