"""Per-integration token buckets: a noisy sender gets 429 with Retry-After, not a
database full of duplicates. In memory, per process: a limit on load, not an account."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(self, now: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._now = now
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        # Keys may come from outside (client addresses): beyond this many, the least
        # recently used half is forgotten (a forgotten bucket is a full one).
        self._max_keys = max_keys

    def take(self, key: str, per_minute: int, burst: int) -> float:
        """0.0 if allowed; otherwise the seconds to wait before trying again."""
        return self._take(key, per_minute, burst, cost=1.0)

    def wait(self, key: str, per_minute: int, burst: int) -> float:
        """What `take` would answer, without taking anything."""
        return self._take(key, per_minute, burst, cost=0.0)

    def _take(self, key: str, per_minute: int, burst: int, cost: float) -> float:
        rate = per_minute / 60.0
        with self._lock:
            now = self._now()
            tokens, last = self._state.pop(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - cost, now)
                self._bound()
                return 0.0
            self._state[key] = (tokens, now)
            self._bound()
            return (1.0 - tokens) / rate

    def _bound(self) -> None:
        if len(self._state) > self._max_keys:
            for stale in list(self._state)[: len(self._state) // 2]:
                del self._state[stale]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
