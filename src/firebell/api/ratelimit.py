"""Per-integration token buckets: a noisy sender gets 429 with Retry-After, not a
database full of duplicates. In memory, per process: a limit on load, not an account."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int, burst: int) -> float:
        """0.0 if allowed; otherwise the seconds to wait before trying again."""
        rate = per_minute / 60.0
        with self._lock:
            now = self._now()
            tokens, last = self._state.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
