"""Abuse limits at the intake edge, beside the per-integration rate limits.

- **Wrong keys**: every request naming an intake key that does not exist costs its client
  address a token. Once its bucket is empty the address gets 429 on *every* intake
  request, a right key included: otherwise the difference between 429 and 2xx would tell
  a key guesser when it found one. A sender sharing an address (NAT, a proxy) with a
  guesser waits with it; the limit is generous enough that a mistyped key in a config
  does not trip it for long.
- **Heartbeats** are limited per integration like every other format (the integration's
  `rate_limit_per_minute` and `rate_limit_burst`): each ping is a write.

Buckets live in memory per process (`Runtime.rate_limits`): a limit on load, not an
account.
"""

from __future__ import annotations

from starlette.requests import Request

from firebell.runtime import Runtime

WRONG_KEYS_PER_MINUTE = 30
WRONG_KEYS_BURST = 20


def _bucket(request: Request) -> str:
    # "wrong-key:" cannot collide with an integration id (those have no colon)
    return "wrong-key:" + (request.client.host if request.client else "unknown")


def locked_out(runtime: Runtime, request: Request) -> float:
    """Seconds this client must wait after too many wrong keys (0.0: go ahead)."""
    return runtime.rate_limits.wait(_bucket(request), WRONG_KEYS_PER_MINUTE, WRONG_KEYS_BURST)


def wrong_key(runtime: Runtime, request: Request) -> None:
    """Count one request with a key that matched no integration."""
    runtime.rate_limits.take(_bucket(request), WRONG_KEYS_PER_MINUTE, WRONG_KEYS_BURST)
