"""`firebell init`: answers -> playbook + settings (0600) -> validated -> a test page."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.config import Settings
from firebell.doctor import checks
from firebell.doctor.findings import Level
from firebell.playbook.loader import load_playbook
from firebell.settings_file import read_settings, settings_path
from tests.firstrun.conftest import init_flags
from tests.paging._support import SmtpReceiver

runner = CliRunner()


def init_args(home: Path, smtp: SmtpReceiver, *extra: str) -> list[str]:
    return [*init_flags(smtp.controller.port), "--home", str(home), *extra]


pytestmark = pytest.mark.usefixtures("clean_env")


def test_non_interactive_init_writes_both_files_and_pages(
    tmp_path: Path, smtp: SmtpReceiver
) -> None:
    home = tmp_path / "home"
    result = runner.invoke(app, init_args(home, smtp))
    assert result.exit_code == 0, result.output
    assert "test page by email to ada@acme.io: sent" in result.output

    [mail] = smtp.messages
    assert mail["To"] == "ada@acme.io" and "test page" in mail["Subject"]
    assert "Acme Ops" in mail.get_payload()

    settings_file = settings_path(home)
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    values = read_settings(home)
    assert values["FIREBELL_SMTP_HOST"] == "127.0.0.1"
    assert values["FIREBELL_SMTP_PORT"] == str(smtp.controller.port)

    playbook = load_playbook(values["FIREBELL_PLAYBOOK"]).playbook
    assert playbook.organization.name == "Acme Ops"
    assert [p.id for p in playbook.people] == ["ada-lovelace"]
    # the responder is on every rotation and every escalation level can reach them
    assert all(r.members == ["ada-lovelace"] for r in playbook.on_call.rotations)
    assert all(r.timezone == "Europe/Paris" for r in playbook.on_call.rotations)
    for finding in checks.unreachable_levels(playbook, {"email"}):
        assert finding.level == Level.OK, finding
    [examples] = checks.example_contacts(playbook)
    assert examples.level == Level.OK, examples.message
    # the seed's process is kept
    assert set(playbook.severities) == {"P0", "P1", "P2", "P3"}
    assert len(playbook.communications.templates) >= 5


def test_serve_settings_come_from_the_file_and_the_environment_wins(
    tmp_path: Path, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert runner.invoke(app, init_args(home, smtp, "--no-test-page")).exit_code == 0
    settings = Settings.resolve(home=home)
    assert settings.smtp is not None and settings.smtp.port == smtp.controller.port
    assert settings.playbook_path == (home / "playbook.yaml").resolve()
    monkeypatch.setenv("FIREBELL_SMTP_PORT", "2525")
    settings = Settings.resolve(home=home)
    assert settings.smtp is not None and settings.smtp.port == 2525


def test_init_does_not_overwrite_without_force(tmp_path: Path, smtp: SmtpReceiver) -> None:
    home = tmp_path / "home"
    assert runner.invoke(app, init_args(home, smtp, "--no-test-page")).exit_code == 0
    again = runner.invoke(app, init_args(home, smtp, "--no-test-page"))
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(app, init_args(home, smtp, "--no-test-page", "--force"))
    assert forced.exit_code == 0, forced.output


def test_missing_answers_are_all_named_at_once(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["init", "--non-interactive", "--home", str(tmp_path), "--email", "not-an-address"]
    )
    assert result.exit_code == 2
    for field in ("organisation", "name", "email", "smtp_host"):
        assert f"error: {field}:" in result.output
    assert not settings_path(tmp_path).exists()


def test_interactive_init_asks_and_pages(tmp_path: Path, smtp: SmtpReceiver) -> None:
    home = tmp_path / "home"
    answers = "\n".join(
        [
            "Acme Ops",  # organisation
            "Grace Hopper",  # name
            "grace@acme.io",  # e-mail
            "",  # phone
            "",  # ntfy topic
            "UTC",  # time zone
            "y",  # SMTP?
            "127.0.0.1",
            str(smtp.controller.port),
            "firebell@acme.io",
            "",  # no SMTP user
        ]
    )
    result = runner.invoke(app, ["init", "--home", str(home)], input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.messages] == ["grace@acme.io"]
    playbook = load_playbook(home / "playbook.yaml").playbook
    assert playbook.people[0].name == "Grace Hopper"


def test_a_failing_test_page_says_why(tmp_path: Path, smtp: SmtpReceiver) -> None:
    home = tmp_path / "home"
    args = init_args(home, smtp)
    args[args.index("--smtp-port") + 1] = "9"  # nobody listens there
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "test page by email to ada@acme.io: not sent yet (SMTP" in result.output
    assert "Connection refused" in result.output
