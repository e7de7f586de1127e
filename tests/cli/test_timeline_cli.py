"""`firebell timeline` pages: the newest events by default, a cursor for older ones, and
--all for everything. A real `firebell serve` process driven by the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from cli.test_cli_end_to_end import cli, server  # noqa: F401 - the fixture


def test_timeline_pages_in_the_cli(server: tuple[dict[str, str], str]) -> None:  # noqa: F811
    env, url = server
    declared = cli(env, "declare", "Noisy", "--severity", "P3", "--json")
    assert declared.returncode == 0, declared.stderr
    number = json.loads(declared.stdout)["id"]
    token = json.loads((Path(env["FIREBELL_HOME"]) / "cli.json").read_text())["token"]
    for i in range(12):
        r = httpx.post(
            f"{url}/api/v1/incidents/{number}/notes",
            json={"text": f"note {i}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code in (200, 201), r.text

    newest = json.loads(cli(env, "timeline", str(number), "--limit", "5", "--json").stdout)
    assert [e["details"]["text"] for e in newest["events"]] == [f"note {i}" for i in range(7, 12)]
    older = cli(env, "timeline", str(number), "--limit", "5", "--cursor", newest["older"], "--json")
    assert [e["details"]["text"] for e in json.loads(older.stdout)["events"]] == [
        f"note {i}" for i in range(2, 7)
    ]
    every = json.loads(cli(env, "timeline", str(number), "--limit", "5", "--all", "--json").stdout)
    assert every["events"][0]["kind"] == "declared" and every["older"] is None
    assert [e["details"].get("text") for e in every["events"]][-12:] == [
        f"note {i}" for i in range(12)
    ]

    human = cli(env, "timeline", str(number), "--limit", "5")
    assert human.returncode == 0 and "note 11" in human.stdout and "note 6" not in human.stdout
    assert f"firebell timeline {number} --cursor" in human.stdout
