"""Inputs that must get a clear 4xx (never a 500) and data that must not leak."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.auth.keys import master_key
from firebell.runtime import Runtime
from firebell.store.models import Alert

H = dict[str, str]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def test_alerts_never_attach_to_a_private_incident(
    app_client: TestClient, runtime: Runtime, admin: H
) -> None:
    secret = app_client.post(
        "/api/v1/incidents",
        headers=admin,
        json={"title": "Credential leak", "severity": "P1", "service": "platform", "private": True},
    )
    secret_id = secret.json()["id"]
    key = runtime.integrations.by_id["alertmanager"].key
    answer = app_client.post(
        f"/api/v1/intake/alertmanager/{key}",
        json=json.loads((FIXTURES / "webhook-firing.json").read_text()),
    )
    assert answer.status_code == 200
    assert secret_id not in answer.json()["incidents"] and answer.json()["incidents"]


def test_template_values_of_the_wrong_shape_are_4xx(app_client: TestClient, admin: H) -> None:
    number = app_client.post(
        "/api/v1/incidents",
        headers=admin,
        json={"title": "x", "severity": "P1", "commander": "primary-engineer-1"},
    ).json()["id"]
    url = f"/api/v1/incidents/{number}"
    r = app_client.post(
        f"{url}/comms/preview",
        headers=admin,
        json={"template": "update", "variant": "internal", "fields": {"updates": 5}},
    )
    assert r.status_code == 422 and "cannot render" in r.json()["detail"]
    reserved = app_client.post(f"{url}/facts", headers=admin, json={"facts": {"incident": "x"}})
    assert reserved.status_code == 422 and "incident" in reserved.json()["detail"]
    nan = app_client.post(
        f"{url}/facts",
        content=b'{"facts": {"x": NaN}}',
        headers={**admin, "content-type": "application/json"},
    )
    assert nan.status_code == 422


def test_chunked_bodies_are_limited_too(app_client: TestClient, admin: H) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(30):
            yield b" " * 100_000

    r = app_client.post(
        "/api/v1/incidents", content=chunks(), headers={**admin, "content-type": "application/json"}
    )
    assert r.status_code == 413


def test_out_of_range_numbers_and_odd_tokens(app_client: TestClient, viewer: H) -> None:
    assert app_client.get(f"/api/v1/incidents/{10**30}", headers=viewer).status_code == 422
    assert (
        app_client.get("/api/v1/incidents", params={"cursor": 10**30}, headers=viewer).status_code
        == 422
    )
    r = app_client.get("/ical/people/dba.ics", params={"token": "é"})
    assert r.status_code == 404


def test_viewers_do_not_see_webhook_urls_in_the_playbook(
    app_client: TestClient, viewer: H, admin: H, runtime: Runtime
) -> None:
    seen = app_client.get("/api/v1/playbook", headers=viewer).json()["playbook"]
    assert seen["war_room"]["bridge_url"].startswith("(redacted")
    full = app_client.get("/api/v1/playbook", headers=admin).json()["playbook"]
    assert full["war_room"]["bridge_url"] == runtime.playbook.playbook.war_room.bridge_url


def test_overlong_keys_are_stored_hashed(app_client: TestClient, runtime: Runtime) -> None:
    payload = json.loads((FIXTURES / "webhook-firing.json").read_text())
    payload["alerts"][0]["fingerprint"] = "f" * 500
    key = runtime.integrations.by_id["alertmanager"].key
    assert app_client.post(f"/api/v1/intake/alertmanager/{key}", json=payload).status_code == 200
    assert (
        app_client.post(f"/api/v1/intake/alertmanager/{key}", json=payload).json()["updated"] == 1
    )  # the same long fingerprint finds the same alert
    with runtime.sessions() as s:
        [fingerprint] = s.scalars(select(Alert.fingerprint)).all()
    assert fingerprint.startswith("sha256:") and len(fingerprint) <= 128


def test_an_empty_master_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIREBELL_SECRET_KEY", raising=False)
    first = master_key(tmp_path)
    assert len(first) >= 32 and master_key(tmp_path) == first
    (tmp_path / "secret.key").write_bytes(b"")
    with pytest.raises(RuntimeError, match="no usable key"):
        master_key(tmp_path)
