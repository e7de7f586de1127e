"""The `firebell` command.

Client commands (declare, show, ack…) only talk HTTP: nothing here imports the server
(FastAPI, SQLAlchemy, uvicorn) at module level, so `firebell show 1` starts fast. Commands
that open the database import what they need when they run.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import typer
from typer.models import TyperInfo

from firebell.cli import (
    alert_commands,
    command_commands,
    comms_commands,
    doctor_command,
    drill_commands,
    incident_commands,
    init_command,
    learning_commands,
    oncall_commands,
    playbook_commands,
    runbook_commands,
    simulate_commands,
    statuspage_commands,
    token_commands,
    user_commands,
)
from firebell.cli.serve import serve, worker


class FirebellApp(typer.Typer):
    """The `firebell` command. Run from a shell (`app()`), it builds only the command
    named on the command line: typer turns every registered command into a click
    command (reading each function's signature and type hints) before parsing, and
    doing that for all ~80 commands was about a third of `firebell show 1`. With no or
    an unknown command name, the whole app runs (help, errors and completion as usual).
    Tests that invoke `app` through typer's CliRunner get the whole app."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = kwargs.get("args", args[0] if args else None)
        words = list(argv) if argv is not None else sys.argv[1:]
        return typer.Typer.__call__(self.only(words[0] if words else ""), *args, **kwargs)

    def only(self, name: str) -> typer.Typer:
        """This app with just the top-level command or group `name`, if there is one."""
        commands = [c for c in self.registered_commands if _command_name(c) == name]
        groups = [g for g in self.registered_groups if g.name == name]
        if not commands and not groups:
            return self
        pruned = copy.copy(self)
        pruned.registered_commands = commands
        pruned.registered_groups = groups
        if pruned.registered_callback is None:
            # one command and no callback would make typer run that command as the
            # whole program (`firebell 1`); a callback keeps `firebell show 1`
            pruned.registered_callback = TyperInfo(callback=_group)
        return pruned


def _group() -> None:
    """firebell: incident response driven by a playbook kept as code."""


def _command_name(info: Any) -> str:
    if info.name:
        return str(info.name)
    callback = info.callback
    return str(getattr(callback, "__name__", "")).lower().replace("_", "-")


app = FirebellApp(
    help="firebell: incident response driven by a playbook kept as code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(worker)
app.add_typer(playbook_commands.app, name="playbook")
app.command("init")(init_command.init)
app.command("doctor")(doctor_command.doctor)
app.add_typer(token_commands.app, name="token")
app.add_typer(user_commands.app, name="user")
incident_commands.register(app)
oncall_commands.register(app)
comms_commands.register(app)
command_commands.register(app)
alert_commands.register(app)
statuspage_commands.register(app)
learning_commands.register(app)
simulate_commands.register(app)
runbook_commands.register(app)
drill_commands.register(app)
