"""Tokens: list, revoke (effective at once), optional expiry, last-used time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from firebell.auth.tokens import TokenState, needs_touch, parse_expiry
from firebell.clock import FrozenClock
from firebell.errors import Invalid
from firebell.runtime import Runtime
from tests.conftest import START

H = dict[str, str]


def bearer(secret: str) -> H:
    return {"Authorization": f"Bearer {secret}"}


def test_revoking_takes_effect_on_the_next_request(app_client: TestClient, admin: H) -> None:
    made = app_client.post("/api/v1/tokens", headers=admin, json={"name": "ci", "role": "viewer"})
    assert made.status_code == 201
    token = made.json()
    assert app_client.get("/api/v1/incidents", headers=bearer(token["token"])).status_code == 200
    revoked = app_client.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    after = app_client.get("/api/v1/incidents", headers=bearer(token["token"]))
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    again = app_client.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    assert again.status_code == 409
    assert app_client.delete("/api/v1/tokens/999", headers=admin).status_code == 404


def test_list_shows_state_prefix_and_last_use_never_the_secret(
    app_client: TestClient, admin: H, clock: FrozenClock
) -> None:
    made = app_client.post(
        "/api/v1/tokens",
        headers=admin,
        json={"name": "dash", "role": "viewer", "expires_at": "2026-11-27T12:00:00Z"},
    ).json()
    assert made["expires_at"].startswith("2026-11-27T12:00:00")
    clock.advance(timedelta(minutes=5))
    app_client.get("/api/v1/incidents", headers=bearer(made["token"]))
    listed = app_client.get("/api/v1/tokens", headers=admin)
    assert listed.status_code == 200
    assert made["token"] not in listed.text
    dash = next(t for t in listed.json()["tokens"] if t["name"] == "dash")
    assert dash["state"] == "active" and made["token"].startswith(dash["prefix"])
    assert dash["last_used_at"].startswith("2026-11-26T12:05:00")
    root = next(t for t in listed.json()["tokens"] if t["name"] == "root")
    assert root["last_used_at"] is not None  # the admin's own requests count


def test_an_expired_token_is_refused(app_client: TestClient, admin: H, clock: FrozenClock) -> None:
    made = app_client.post(
        "/api/v1/tokens",
        headers=admin,
        json={"name": "temp", "role": "viewer", "expires_at": "2026-11-26T13:00:00Z"},
    ).json()
    assert app_client.get("/api/v1/incidents", headers=bearer(made["token"])).status_code == 200
    clock.advance(timedelta(hours=1))
    assert app_client.get("/api/v1/incidents", headers=bearer(made["token"])).status_code == 401
    tokens = app_client.get("/api/v1/tokens", headers=admin).json()["tokens"]
    assert next(t for t in tokens if t["name"] == "temp")["state"] == "expired"


def test_token_administration_needs_admin_and_a_future_expiry(
    app_client: TestClient, admin: H, responder: H
) -> None:
    assert app_client.get("/api/v1/tokens", headers=responder).status_code == 403
    assert app_client.delete("/api/v1/tokens/1", headers=responder).status_code == 403
    past = app_client.post(
        "/api/v1/tokens",
        headers=admin,
        json={"name": "old", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"},
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "expires_at"
    naive = app_client.post(
        "/api/v1/tokens",
        headers=admin,
        json={"name": "old", "role": "viewer", "expires_at": "2027-01-01T00:00:00"},
    )
    assert naive.status_code == 422


def test_last_used_is_written_at_most_once_a_minute(
    app_client: TestClient, runtime: Runtime, admin: H, clock: FrozenClock
) -> None:
    def last_used() -> str:
        tokens = app_client.get("/api/v1/tokens", headers=admin).json()["tokens"]
        value: str = tokens[0]["last_used_at"]
        return value

    first = last_used()
    clock.advance(timedelta(seconds=30))
    assert last_used() == first
    clock.advance(timedelta(seconds=31))
    assert last_used() != first


def test_pure_parts() -> None:
    assert TokenState(None, None).usable(START)
    assert not TokenState(START, None).usable(START)
    assert not TokenState(None, START).usable(START)
    assert needs_touch(None, START) and not needs_touch(START, START + timedelta(seconds=59))
    assert parse_expiry("30d", START) == START + timedelta(days=30)
    assert parse_expiry("2027-01-01T00:00:00+00:00", START).year == 2027
    with pytest.raises(Invalid):
        parse_expiry("soon", START)
    with pytest.raises(Invalid):
        parse_expiry("2027-01-01T00:00:00", START)
