"""Intake abuse limits (issue 10): wrong keys and heartbeats get 429 + Retry-After too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from firebell.api.app import create_app
from firebell.api.intake_limits import WRONG_KEYS_BURST, WRONG_KEYS_PER_MINUTE
from firebell.api.ratelimit import TokenBuckets
from firebell.runtime import Runtime


class Clock:
    """The buckets' clock, moved by hand: nothing refills unless the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def bucket_clock(runtime: Runtime) -> Clock:
    clock = Clock()
    runtime.rate_limits = TokenBuckets(now=clock)
    return clock


def client(runtime: Runtime, address: str) -> TestClient:
    return TestClient(create_app(runtime), client=(address, 40000))


@pytest.fixture
def guesser(runtime: Runtime, bucket_clock: Clock) -> Iterator[TestClient]:
    with client(runtime, "203.0.113.9") as c:
        yield c


def heartbeat_url(runtime: Runtime, key: str | None = None) -> str:
    return f"/api/v1/intake/heartbeat/{key or runtime.integrations.by_id['heartbeat'].key}"


def test_wrong_keys_are_limited_per_address_and_lock_out_right_keys_too(
    guesser: TestClient, runtime: Runtime, bucket_clock: Clock
) -> None:
    for n in range(WRONG_KEYS_BURST):
        assert guesser.post(f"/api/v1/intake/alertmanager/guess-{n}", json={}).status_code == 404
    r = guesser.post("/api/v1/intake/generic/guess-x", json={})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"] == "application/problem+json"
    # a right key from the same address learns nothing: 429, not 2xx
    assert guesser.get(heartbeat_url(runtime)).status_code == 429
    pd = guesser.post("/v2/enqueue", json={"routing_key": "x", "event_action": "trigger"})
    assert pd.status_code == 429 and pd.headers["retry-after"]
    og = guesser.post("/v2/alerts", json={"message": "x"}, headers={"Authorization": "GenieKey x"})
    assert og.status_code == 429 and og.headers["retry-after"]
    # another sender is not affected ...
    with client(runtime, "198.51.100.7") as other:
        assert other.get(heartbeat_url(runtime)).status_code == 200
    # ... and the guesser gets a try back as its bucket refills
    bucket_clock.now += 60 / WRONG_KEYS_PER_MINUTE
    assert guesser.get(heartbeat_url(runtime)).status_code == 200


@pytest.mark.parametrize("sender", ["pagerduty", "opsgenie", "heartbeat"])
def test_every_intake_dialect_counts_wrong_keys(
    guesser: TestClient, runtime: Runtime, sender: str
) -> None:
    for n in range(WRONG_KEYS_BURST):
        if sender == "pagerduty":
            body = {
                "routing_key": f"guess-{n}",
                "event_action": "trigger",
                "payload": {"summary": "x", "source": "y", "severity": "info"},
            }
            assert guesser.post("/v2/enqueue", json=body).status_code == 400
        elif sender == "opsgenie":
            auth = {"Authorization": f"GenieKey guess-{n}"}
            assert (
                guesser.post("/v2/alerts", json={"message": "x"}, headers=auth).status_code == 401
            )
        else:
            assert guesser.get(heartbeat_url(runtime, f"guess-{n}")).status_code == 404
    assert guesser.get(heartbeat_url(runtime, "guess")).status_code == 429


def test_heartbeats_are_rate_limited_per_integration(guesser: TestClient, runtime: Runtime) -> None:
    integration = runtime.integrations.by_id["heartbeat"]
    options = integration.spec.options
    assert guesser.post(heartbeat_url(runtime)).status_code == 200
    while (
        runtime.rate_limits.take(
            integration.id, options.rate_limit_per_minute, options.rate_limit_burst
        )
        == 0
    ):
        pass  # use up the burst in memory (each step takes one token; bounded by the burst)
    r = guesser.post(heartbeat_url(runtime))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "over its rate limit" in r.json()["detail"]


def test_buckets_stay_bounded_when_keys_come_from_outside() -> None:
    buckets = TokenBuckets(now=lambda: 0.0, max_keys=100)
    for n in range(1000):
        buckets.take(f"wrong-key:10.0.{n // 256}.{n % 256}", 30, 20)
    assert len(buckets._state) <= 100
    assert buckets.wait("fresh", 60, 1) == 0 and buckets.wait("fresh", 60, 1) == 0  # no cost
