"""`firebell drill`: practice incidents from the playbook's scenarios, and their scores."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
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

    @drill_app.command("schedule")
    @reports_errors
    def drill_schedule(
        days: Annotated[int, typer.Option(help="How many days ahead to look")] = 366,
        as_json: JsonFlag = False,
    ) -> None:
        """The planned drills to come (the playbook's programme), with their reminders."""
        data = Client.from_env().request("GET", "/api/v1/drills/schedule", params={"days": days})
        if as_json:
            output.emit_json(data)
            return
        if not data["drills"]:
            output.console.print(f"No drill planned in the next {days} days.")
            return
        say = output.console.print
        for d in data["drills"]:
            local = datetime.fromisoformat(d["local"])
            say(
                f"{local:%a %Y-%m-%d %H:%M} {d['timezone']}  {d['scenario_name']} "
                f"({d['severity']})  [{d['plan']}]",
                markup=False,
                soft_wrap=True,
            )
            say(
                f"    organisers: {', '.join(d['organisers'])}; "
                f"participants: {', '.join(d['participants'])}",
                markup=False,
                soft_wrap=True,
            )
        reminders = ", ".join(data["reminders"]) or "never"
        say(f"Organisers are reminded {reminders} before each drill.", soft_wrap=True)
        first = data["drills"][0]
        say(f"Start the next one with: {first['command']}", markup=False, soft_wrap=True)

    @drill_app.command("report")
    @reports_errors
    def drill_report(
        number: int,
        format: Annotated[
            ReportFormat, typer.Option("--format", help="markdown, html (a standalone page)")
        ] = ReportFormat.markdown,
        as_json: JsonFlag = False,
    ) -> None:
        """A drill's score against the playbook's targets, as Markdown, HTML (or JSON)."""
        client = Client.from_env()
        if as_json or format is ReportFormat.json:
            output.emit_json(client.request("GET", f"/api/v1/drills/{number}/report"))
            return
        text = client.request_text(
            "GET", f"/api/v1/drills/{number}/report", params={"format": format.value}
        )
        if format is ReportFormat.html:
            sys.stdout.write(text)  # a page to redirect into a file: no terminal markup
            return
        output.console.print(text, markup=False, highlight=False)


class ReportFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    json = "json"
