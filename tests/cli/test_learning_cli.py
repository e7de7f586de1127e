"""The learning commands through the real CLI against `firebell serve` as a process:
post-mortem show/edit ($EDITOR)/state/export, action items, metrics, monthly review.

The server runs on the system clock, so every period here is taken from the incident's
own `declared_at` (the server's time), never from this process's wall clock: a test run
across midnight at a month's end looks at the month the incident is in."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_cli_end_to_end import cli, server  # noqa: F401  (the fixture)


def test_learning_commands(server: tuple[dict[str, str], str], tmp_path: Path) -> None:  # noqa: F811
    env, _url = server
    declared = cli(env, "declare", "Payments failing", "--severity", "P1", "--json")
    assert declared.returncode == 0, declared.stderr
    incident = json.loads(declared.stdout)
    number = str(incident["id"])
    declared_at = datetime.fromisoformat(incident["declared_at"]).astimezone(UTC)
    month = f"{declared_at:%Y-%m}"
    assert cli(env, "resolve", number).returncode == 0

    shown = cli(env, "postmortem", "show", number)
    assert shown.returncode == 0, shown.stderr
    assert "# Post-Mortem: Payments failing" in shown.stdout and "draft" in shown.stdout

    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\nopen(sys.argv[1], 'a').write('\\nRoot cause: a bad deploy.\\n')\n"
    )
    edited = cli({**env, "EDITOR": f"{sys.executable} {editor}"}, "postmortem", "edit", number)
    assert edited.returncode == 0, edited.stderr
    assert "Saved revision 2" in edited.stdout
    body = json.loads(cli(env, "postmortem", "show", number, "--json").stdout)["body"]
    assert body.rstrip().endswith("Root cause: a bad deploy.")

    review = cli(env, "postmortem", "state", number, "in_review")
    assert review.returncode == 0 and "in_review" in review.stdout
    early = cli(env, "postmortem", "state", number, "published")
    assert early.returncode == 1 and "not signed off" in early.stderr

    due = (declared_at + timedelta(days=7)).isoformat()
    added = cli(
        env,
        "action-item",
        "add",
        number,
        "Add a deploy canary",
        "--category",
        "prevent",
        "--owner",
        "primary-engineer-1",
        "--due",
        due,
        "--json",
    )
    assert added.returncode == 0, added.stderr
    listed = cli(env, "action-item", "list", "--owner", "primary-engineer-1", "--json")
    assert [i["title"] for i in json.loads(listed.stdout)["items"]] == ["Add a deploy canary"]
    assert cli(env, "action-item", "list", "--team", "platform").returncode == 0

    exported = cli(
        env, "postmortem", "export", number, "--format", "pdf", "-o", str(tmp_path / "pm.pdf")
    )
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "pm.pdf").read_bytes().startswith(b"%PDF")

    metrics = cli(
        env,
        "metrics",
        "--since",
        (declared_at - timedelta(days=1)).isoformat(),
        "--until",
        (declared_at + timedelta(days=1)).isoformat(),
        "--json",
    )
    assert metrics.returncode == 0, metrics.stderr
    data = json.loads(metrics.stdout)
    assert data["groups"][0]["count"] == 1 and data["groups"][0]["mttr"]["count"] == 1
    table = cli(env, "metrics", "--month", month, "--json")
    assert table.returncode == 0, table.stderr
    assert json.loads(table.stdout)["groups"][0]["count"] == 1  # the month of the incident
    assert "P1" in cli(env, "metrics", "--month", month).stdout

    out = tmp_path / "review"
    report = cli(env, "report", "monthly", "--month", month, "-o", str(out))
    assert report.returncode == 0, report.stderr
    review = (out / f"review-{month}.md").read_text()
    assert review.startswith("# Monthly incident review") and "| P1 | 1 |" in review
    assert (out / "charts" / "mtta.svg").exists()
    bad = cli(env, "report", "monthly", "--month", "2026-13", "-o", str(out))
    assert bad.returncode == 1 and "month" in bad.stderr
