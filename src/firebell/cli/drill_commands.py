"""`firebell drill`: practice incidents from the playbook's scenarios, and their scores."""

from __future__ import annotations

from typing import Annotated

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors


def register(app: typer.Typer) -> None:
    drill_app = typer.Typer(help="Drills: practice incidents, scored.", no_args_is_help=True)
    app.add_typer(drill_app, name="drill")

    @drill_app.command("scenarios")
    @reports_errors
    def drill_scenarios(as_json: JsonFlag = False) -> None:
        """The playbook's drill scenarios and schedule."""
        data = Client.from_env().request("GET", "/api/v1/drills/scenarios")
        if as_json:
            output.emit_json(data)
            return
        for s in data["scenarios"]:
            output.console.print(f"{s['id']:24} {s['severity']}  {s['name']}")
        for line in data["schedule"]:
            output.console.print(f"schedule: {line}")

    @drill_app.command("start")
    @reports_errors
    def drill_start(
        scenario: Annotated[str, typer.Argument(help="Scenario id (see `drill scenarios`)")],
        participants: Annotated[
            str, typer.Option(help="Comma-separated person ids: the only people it reaches")
        ],
        as_json: JsonFlag = False,
    ) -> None:
        """Declare a drill: paged and told are the participants only, messages say [DRILL]."""
        people = [p.strip() for p in participants.split(",") if p.strip()]
        data = Client.from_env().request(
            "POST", "/api/v1/drills", json={"scenario": scenario, "participants": people}
        )
        output.say(
            data,
            as_json,
            f"Drill #{data['incident_id']} {data['title']} ({data['severity']}) for "
            f"{', '.join(data['participants'])}",
        )

    @drill_app.command("list")
    @reports_errors
    def drill_list(as_json: JsonFlag = False) -> None:
        """Past and running drills with their scores."""
        data = Client.from_env().request("GET", "/api/v1/drills")
        output.rows(
            data,
            as_json,
            "drills",
            ("#", "Scenario", "Sev", "Started", "Score"),
            lambda d: (
                str(d["incident_id"]),
                d["scenario"] or "-",
                d["severity"],
                output.short_time(d["declared_at"]),
                f"{d['met']}/{d['scored']}",
            ),
        )

    @drill_app.command("report")
    @reports_errors
    def drill_report(number: int, as_json: JsonFlag = False) -> None:
        """A drill's score against the playbook's targets, as Markdown (or JSON)."""
        client = Client.from_env()
        if as_json:
            output.emit_json(client.request("GET", f"/api/v1/drills/{number}/report"))
            return
        text = client.request_text(
            "GET", f"/api/v1/drills/{number}/report", params={"format": "markdown"}
        )
        output.console.print(text, markup=False, highlight=False)
