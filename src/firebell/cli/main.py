"""The `firebell` command.

Client commands (declare, show, ack…) only talk HTTP: nothing here imports the server
(FastAPI, SQLAlchemy, uvicorn) at module level, so `firebell show 1` starts fast. Commands
that open the database import what they need when they run.
"""

from __future__ import annotations

import typer

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
