"""Client commands for incident command: roles, tasks, decisions, the war room."""

from __future__ import annotations

from typing import Annotated

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors


def register(app: typer.Typer) -> None:
    task_app = typer.Typer(help="Tasks with confirmation on an incident.", no_args_is_help=True)
    app.add_typer(task_app, name="task")

    @app.command()
    @reports_errors
    def role(
        number: int,
        role_id: Annotated[str, typer.Argument(help="ic, tech_lead, comms_lead, scribe, sme")],
        person: str,
        as_json: JsonFlag = False,
    ) -> None:
        """Give a war-room role to a person (a hand-over if someone held it)."""
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/roles", json={"role": role_id, "person": person}
        )
        if as_json:
            output.emit_json(data)
            return
        output.console.print(f"#{number}: {person} is {role_id}")
        if data["missing"]:
            output.console.print(f"still missing: {', '.join(data['missing'])}")

    @task_app.command("add")
    @reports_errors
    def task_add(number: int, assignee: str, text: str, as_json: JsonFlag = False) -> None:
        """'Person X, please do Y. Confirm?'"""
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/tasks", json={"assignee": assignee, "text": text}
        )
        output.say(data, as_json, f"Task {data['id']}: @{assignee}, please {text}. Confirm?")

    def _step(number: int, task_id: int, status: str, as_json: bool) -> None:
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/tasks/{task_id}", json={"status": status}
        )
        output.say(data, as_json, f"Task {task_id} {status}")

    @task_app.command("ack")
    @reports_errors
    def task_ack(number: int, task_id: int, as_json: JsonFlag = False) -> None:
        """Confirm a task: 'Acknowledged, doing it now.'"""
        _step(number, task_id, "acknowledged", as_json)

    @task_app.command("done")
    @reports_errors
    def task_done(number: int, task_id: int, as_json: JsonFlag = False) -> None:
        """Report a task done."""
        _step(number, task_id, "done", as_json)

    @task_app.command("list")
    @reports_errors
    def task_list(number: int, open_only: bool = False, as_json: JsonFlag = False) -> None:
        """An incident's tasks."""
        data = Client.from_env().request(
            "GET", f"/api/v1/incidents/{number}/tasks", params={"open_only": open_only}
        )
        output.rows(
            data,
            as_json,
            "tasks",
            ("Id", "Who", "Task", "Status"),
            lambda t: (str(t["id"]), t["assignee"], t["text"], t["status"]),
        )

    @app.command()
    @reports_errors
    def decide(
        number: int,
        choice: Annotated[str, typer.Option(help="The option chosen")],
        option: Annotated[list[str], typer.Option(help="An option considered; repeat")],
        by: Annotated[str | None, typer.Option(help="Who decided (default: you)")] = None,
        rationale: Annotated[str | None, typer.Option()] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Record a decision with the options considered."""
        data = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/decisions",
            json={"options": option, "choice": choice, "made_by": by, "rationale": rationale},
        )
        output.say(data, as_json, f"#{number}: decided '{choice}'")

    @app.command("war-room")
    @reports_errors
    def war_room(
        number: int,
        open_now: Annotated[bool, typer.Option("--open", help="Open it now")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Show an incident's war room, or open it now."""
        client = Client.from_env()
        if open_now:
            client.request("POST", f"/api/v1/incidents/{number}/war-room")
        data = client.request("GET", f"/api/v1/incidents/{number}/war-room")
        if as_json:
            output.emit_json(data)
        else:
            output.console.print(
                f"#{number} war room {data['state']}: {data['channel']} "
                f"bridge {data['bridge_url'] or '-'} (rule {data['rule']})"
            )
