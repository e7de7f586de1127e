"""Client commands: JSON errors under --json, a timeline readable at 80 columns."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from firebell.cli import output
from firebell.cli.main import app
from tests.paging._support import free_port

runner = CliRunner()


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREBELL_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("FIREBELL_TOKEN", "fb_test")


@pytest.mark.parametrize(
    "args",
    [
        ["show", "1"],
        ["decide", "1", "--option", "a", "--option", "b", "--choice", "a"],
        ["approve-disclosure", "1", "--audience", "all", "--reason", "r"],
    ],
)
def test_errors_are_json_under_json(nowhere: None, args: list[str]) -> None:
    plain = runner.invoke(app, args)
    assert plain.exit_code == 2 and plain.output.startswith("error: cannot reach firebell")
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["error"].startswith("cannot reach firebell")
    assert set(document) >= {"error", "status", "detail", "errors"}


def test_the_timeline_reads_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(width=80, record=True, force_terminal=False)
    monkeypatch.setattr(output, "console", console)
    long = "rolled back the 11:50 deployment of checkout-api in every region " * 2
    output.timeline_table(
        [
            {
                "at": "2026-11-26T12:00:00+00:00",
                "actor": "alice",
                "kind": "declared",
                "details": {"title": "Checkout is down", "severity": "P1", "service": None},
            },
            {
                "at": "2026-11-26T12:04:10+00:00",
                "actor": "primary-engineer-1",
                "kind": "severity_changed",
                "details": {"from": "P1", "to": "P0", "reason": long},
            },
        ]
    )
    text = console.export_text()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("11-26 12:04:10" in line and "severity_changed" in line for line in lines)
    assert "title=Checkout is down" in text.replace("\n", " ")


def test_client_commands_do_not_import_the_server() -> None:
    """`firebell show 1` must start fast: loading the CLI imports no server module."""
    import subprocess
    import sys

    probe = (
        "import sys, firebell.cli.main; "
        "print(','.join(m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'alembic', "
        "'starlette', 'pydantic', 'jinja2', 'firebell.api', 'firebell.runtime') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""
