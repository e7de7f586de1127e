"""`firebell playbook diff OLD NEW --replay`: stored incidents replayed through two playbooks,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from firebell.cli.main import app
from firebell.clock import FrozenClock
from firebell.paging.schedules import on_call
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime

runner = CliRunner()


def _alert(tps: str) -> dict[str, object]:
    labels = {"alertname": "TPSLow", "tps": tps, "severity": "warning"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="TPSLow"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"alertname": "TPSLow"},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {},
                "startsAt": "2026-11-26T12:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "00000000000000a1",
            }
        ],
    }


def replay_diff(old: Path, new: Path, database_url: str, *flags: str) -> Result:
    """`firebell playbook diff OLD NEW --replay` over every stored incident."""
    args = ["playbook", "diff", str(old), str(new), "--replay", "--since", "3650d"]
    return runner.invoke(app, [*args, "--database-url", database_url, *flags])


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_replay_lists_exactly_the_differences_a_change_makes(
    app_client: TestClient,
    runtime: Runtime,
    clock: FrozenClock,
    responder: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    key = runtime.integrations.by_id["alertmanager"].key
    fired = app_client.post(f"/api/v1/intake/alertmanager/{key}", json=_alert("650000"))
    assert fired.status_code == 200, fired.text
    [alerted] = fired.json()["incidents"]
    declared = app_client.post(
        "/api/v1/incidents",
        json={"title": "Slow portal", "severity": "P2", "service": "api"},
        headers=responder,
    )
    assert declared.status_code in (200, 201), declared.text
    manual = declared.json()["id"]
    clock.advance(timedelta(minutes=3))
    for number in (alerted, manual):
        ack = app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
        assert ack.status_code == 200, ack.text

    old_text = default_playbook_text()
    old = _write(tmp_path / "old.yaml", old_text)
    same = replay_diff(old, old, database_url, "--json")
    assert same.exit_code == 0, same.output
    assert json.loads(same.output) == {
        "settings": [],
        "replay": {"incidents": 2, "differences": []},
    }

    # The change under review: the secondary is paged 2 minutes after the primary instead
    # of 5, and a P1 must be acknowledged within 2 minutes instead of 15.
    new_text = old_text.replace(
        "        delay: 5m       # T+5m", "        delay: 2m       # T+2m", 1
    ).replace("    response_time: 15m\n", "    response_time: 2m\n", 1)
    assert new_text.count("delay: 2m") == 1 and "response_time: 2m" in new_text
    new = _write(tmp_path / "new.yaml", new_text)
    result = replay_diff(old, new, database_url, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert any(line.startswith("-") and "delay: 5m" in line for line in data["settings"])
    differences = {
        (d["incident"], d["aspect"]): (d["old"], d["new"]) for d in data["replay"]["differences"]
    }
    # The alert's P1 (TPS < 700K): acknowledged at +3m, so the old playbook paged only the
    # primary, the new one the secondary too at +2m; 3 minutes now breaches the response SLA.
    start = clock.now() - timedelta(minutes=3)
    primary = on_call(runtime.playbook.playbook, "aurigraph-primary", start)
    secondary = on_call(
        runtime.playbook.playbook, "aurigraph-secondary", start + timedelta(minutes=2)
    )
    assert differences == {
        (alerted, "paging"): (
            f"+0m level 1: {primary}",
            f"+0m level 1: {primary}; +2m level 2: {secondary}",
        ),
        (alerted, "response"): ("met", "breached"),
    }
    # The hand-declared P2 notifies level 1 only and keeps its 1h target: unchanged.
    assert all(number != manual for number, _ in differences)
    text = replay_diff(old, new, database_url)
    assert f"#{alerted} response: met  ->  breached" in text.output
    assert "replayed 2 incident(s) from the last 3650d:" in text.output
