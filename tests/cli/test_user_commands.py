"""`firebell user add|list|disable|reset` against a real SQLite database (server stopped)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.web.accounts import SETUP_PATH

runner = CliRunner()


def run(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--home", str(home)])
    return result.exit_code, result.output


def test_user_lifecycle(tmp_path: Path) -> None:
    code, out = run(tmp_path, "user", "add", "alice", "--role", "responder", "--json")
    assert code == 0, out
    added = json.loads(out)
    assert added["user"]["role"] == "responder" and not added["user"]["has_password"]
    assert SETUP_PATH in added["set_password_link"]

    code, out = run(tmp_path, "user", "add", "alice", "--role", "viewer")
    assert code == 1 and "already exists" in out

    code, out = run(tmp_path, "user", "add", "bob", "--role", "owner")
    assert code == 1 and "role" in out

    code, out = run(tmp_path, "user", "reset", "alice", "--json")
    assert code == 0
    assert json.loads(out)["set_password_link"] != added["set_password_link"]

    code, out = run(tmp_path, "user", "disable", "alice", "--json")
    assert code == 0 and json.loads(out)["disabled"] is True

    code, out = run(tmp_path, "user", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)["users"]}
    assert users["alice"]["disabled"] is True

    code, out = run(tmp_path, "user", "disable", "nobody")
    assert code == 1 and "no user named 'nobody'" in out
