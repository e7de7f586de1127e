"""The `firebell` command.

Client commands (declare, show, ack…) only talk HTTP: nothing here imports the server
(FastAPI, SQLAlchemy, uvicorn) at module level, so `firebell show 1` starts fast. Commands
that open the database import what they need when they run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from firebell.cli import (
    command_commands,
    comms_commands,
    doctor_command,
    incident_commands,
    init_command,
    oncall_commands,
    playbook_commands,
)
from firebell.cli.options import DatabaseUrl, Home, PlaybookFile
from firebell.cli.serve import open_runtime, serve, worker

app = typer.Typer(
    help="firebell: incident response driven by a playbook kept as code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(worker)
app.add_typer(playbook_commands.app, name="playbook")
app.command("init")(init_command.init)
app.command("doctor")(doctor_command.doctor)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
incident_commands.register(app)
oncall_commands.register(app)
comms_commands.register(app)
command_commands.register(app)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="viewer, responder or admin")],
    name: Annotated[str, typer.Option(help="Who or what uses it")],
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Create an API token directly in the database (works with the server stopped)."""
    from firebell.auth.tokens import create_token
    from firebell.errors import DomainError
    from firebell.store.db import transaction

    runtime = open_runtime(home, database_url, playbook)
    try:
        with transaction(runtime.sessions) as session:
            row, secret = create_token(session, runtime.clock, name=name, role=role)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    typer.echo(secret)
    typer.echo(f"token #{row.id} '{name}' with role {role}; it is shown only now", err=True)
