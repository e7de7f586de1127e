"""`firebell init`: a first run that pages someone.

Asks (or takes as flags with --non-interactive) the organisation, the first responder and
how to reach them, the time zone and the SMTP or Slack settings; writes a playbook derived
from the default one and `$FIREBELL_HOME/settings.toml` (0600), validates both, and sends
a test page.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from firebell.cli.options import Home

if TYPE_CHECKING:
    from firebell.runtime import Runtime
    from firebell.setup.answers import Answers

Text = Annotated[str | None, typer.Option()]


def init(
    home: Home = None,
    organisation: Annotated[str | None, typer.Option("--organisation", "--organization")] = None,
    name: Annotated[str | None, typer.Option(help="The first responder's name")] = None,
    email: Text = None,
    phone: Annotated[str | None, typer.Option(help="International form, +14155550123")] = None,
    ntfy_topic: Annotated[str | None, typer.Option(help="ntfy topic for push pages")] = None,
    ntfy_base_url: Annotated[str | None, typer.Option(help="Default: https://ntfy.sh")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA name, e.g. Europe/Paris")] = None,
    smtp_host: Text = None,
    smtp_port: Annotated[int, typer.Option()] = 25,
    smtp_from: Text = None,
    smtp_username: Text = None,
    smtp_password: Text = None,
    smtp_starttls: Annotated[bool, typer.Option()] = False,
    slack_token: Annotated[str | None, typer.Option(help="Slack bot token (xoxb-…)")] = None,
    slack_base_url: Text = None,
    slack_user: Annotated[str | None, typer.Option(help="Your Slack member id (U…)")] = None,
    playbook_out: Annotated[
        Path | None, typer.Option("--playbook", help="Default: $FIREBELL_HOME/playbook.yaml")
    ] = None,
    non_interactive: Annotated[
        bool, typer.Option("--non-interactive", help="Ask nothing; take the flags")
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing playbook/settings")] = False,
    test_page: Annotated[bool, typer.Option(help="Send a test page at the end")] = True,
) -> None:
    """Set up firebell: your organisation, your first responder, a test page."""
    from firebell.home import default_home
    from firebell.settings_file import settings_path
    from firebell.setup.answers import Answers, SlackAnswers, SmtpAnswers

    home = home or default_home()
    target = playbook_out or home / "playbook.yaml"
    existing = [p for p in (target, settings_path(home)) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        typer.echo(f"error: {names} already exist(s); --force replaces them", err=True)
        raise typer.Exit(1)

    def ask(
        value: str | None, question: str, *, required: bool = True, secret: bool = False
    ) -> str | None:
        if value is not None or non_interactive:
            return value
        answer: str = typer.prompt(
            question, default="" if not required else None, hide_input=secret, show_default=False
        )
        return answer.strip() or None

    organisation = ask(organisation, "Organisation")
    name = ask(name, "First responder's name")
    email = ask(email, "Their e-mail (blank: none)", required=False)
    phone = ask(phone, "Their phone, +country… (blank: none)", required=False)
    ntfy_topic = ask(ntfy_topic, "Their ntfy topic for push (blank: none)", required=False)
    if timezone is None and not non_interactive:
        timezone = typer.prompt("Time zone", default="UTC")
    if smtp_host is None and slack_token is None and not non_interactive:
        if typer.confirm("Send pages by e-mail (SMTP)?", default=bool(email)):
            smtp_host = typer.prompt("SMTP host")
            smtp_port = typer.prompt("SMTP port", default=smtp_port, type=int)
            smtp_from = typer.prompt("From address", default=f"firebell@{smtp_host}")
            smtp_username = ask(None, "SMTP user (blank: none)", required=False)
            if smtp_username:
                smtp_password = ask(None, "SMTP password", secret=True)
                smtp_starttls = typer.confirm("Use STARTTLS?", default=True)
        elif typer.confirm("Page through Slack?", default=False):
            slack_token = ask(None, "Slack bot token (xoxb-…)", secret=True)
            slack_user = ask(None, "Your Slack member id (U…)")
    answers = Answers(
        organisation=organisation or "",
        name=name or "",
        email=email,
        phone=phone,
        chat=slack_user,
        ntfy_topic=ntfy_topic,
        ntfy_base_url=ntfy_base_url,
        timezone=timezone or "UTC",
        smtp=SmtpAnswers(
            smtp_host,
            smtp_port,
            smtp_from or "firebell@localhost",
            smtp_username,
            smtp_password,
            smtp_starttls,
        )
        if smtp_host
        else None,
        slack=SlackAnswers(slack_token, slack_base_url) if slack_token else None,
    )
    problems = answers.problems()
    if problems:
        for field, reason in problems:
            typer.echo(f"error: {field}: {reason}", err=True)
        raise typer.Exit(2)
    _write(home, target, answers)
    runtime = _validated_runtime(home)
    try:
        _report(runtime)
        if test_page:
            _send_test_page(runtime, answers)
    finally:
        runtime.close()
    typer.echo("next: `firebell serve` (it reads the settings file), then `firebell doctor`")


def _write(home: Path, target: Path, answers: Answers) -> None:
    from ruamel.yaml import YAML

    from firebell.playbook.loader import default_playbook_text
    from firebell.settings_file import write_settings
    from firebell.setup.derive import derive_playbook, settings_values

    yaml = YAML()  # round trip: the seed's comments stay in your copy
    yaml.width = 100
    document = yaml.load(default_playbook_text())
    derive_playbook(document, answers)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    typer.echo(f"wrote the playbook {target}")
    path = write_settings(home, settings_values(answers, str(target.resolve())))
    typer.echo(f"wrote the settings {path} (mode 0600)")


def _validated_runtime(home: Path) -> Runtime:
    from firebell.cli.serve import open_runtime

    runtime = open_runtime(home, None, None)  # settings file → playbook, channels
    typer.echo(f"playbook valid (version {runtime.playbook.version}); database ready")
    return runtime


def _report(runtime: Runtime) -> None:
    from firebell.doctor.findings import Level
    from firebell.doctor.run import database_facts, static_findings

    for finding in static_findings(runtime, database_facts(runtime.db)):
        if finding.level != Level.OK and finding.check != "integrations":
            typer.echo(f"{finding.level}: {finding.message}", err=True)


def _send_test_page(runtime: Runtime, answers: Answers) -> None:
    from firebell.setup.test_page import send_test_page

    outcomes = send_test_page(runtime, answers.person_id)
    if not outcomes:
        typer.echo("error: no configured channel reaches the responder", err=True)
        raise typer.Exit(1)
    failed = False
    for outcome in outcomes:
        typer.echo(f"test page by {outcome.method} to {outcome.address}: {outcome.describe()}")
        failed = failed or outcome.status != "sent"
    if failed:
        raise typer.Exit(1)
