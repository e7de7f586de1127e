"""`firebell X …` builds only command X (start-up), and behaves as the whole app does."""

from __future__ import annotations

from typer.testing import CliRunner

from firebell.cli.main import app

runner = CliRunner()


def test_only_the_named_command_or_group_is_kept() -> None:
    show = app.only("show")
    assert [c.callback.__name__ for c in show.registered_commands if c.callback] == ["show"]
    assert show.registered_groups == []
    playbook = app.only("playbook")
    assert playbook.registered_commands == [] and len(playbook.registered_groups) == 1
    assert app.only("no-such-command") is app and app.only("--help") is app
    assert len(app.registered_commands) > 20  # the app itself is untouched


def test_a_pruned_app_parses_like_the_whole_one() -> None:
    whole = runner.invoke(app, ["show", "--help"])
    pruned = runner.invoke(app.only("show"), ["show", "--help"])
    assert whole.exit_code == pruned.exit_code == 0
    assert "Show one incident." in pruned.output
    refused = runner.invoke(app.only("show"), ["show", "not-a-number"])
    assert refused.exit_code == 2
    assert "number" in refused.output
    group = runner.invoke(app.only("playbook"), ["playbook", "--help"])
    assert group.exit_code == 0 and "export-default" in group.output
