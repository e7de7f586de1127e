"""Client commands for the public status page: component overrides, maintenance windows,
subscribers (list, add, remove, CSV export and import), and the page's own summary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client, CliError
from firebell.cli.incident_commands import JsonFlag, reports_errors

Components = Annotated[
    list[str] | None, typer.Option("--component", "-c", help="A component id (repeat)")
]


def _utc(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _window_line(item: dict[str, Any]) -> str:
    return (
        f"m{item['id']} {item['status']:<11} {output.short_time(item['starts_at'])} -> "
        f"{output.short_time(item['ends_at'])}  {item['title']} "
        f"[{', '.join(item['components'])}]"
    )


def register(app: typer.Typer) -> None:
    @app.command("component-status")
    @reports_errors
    def component_status(
        number: int,
        component: str,
        status: Annotated[
            str,
            typer.Argument(
                help="operational, degraded_performance, partial_outage, major_outage "
                "or under_maintenance"
            ),
        ],
        as_json: JsonFlag = False,
    ) -> None:
        """Set or override a status page component's status for an incident."""
        data = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/components",
            json={"component": component, "status": status},
        )
        output.say(data, as_json, f"Incident #{number}: {component} is {status}")

    @app.command("status-page")
    @reports_errors
    def status_page(as_json: JsonFlag = False) -> None:
        """What the public sees now (the page's summary.json)."""
        data = Client.from_env().request("GET", "/api/v2/summary.json")
        if as_json:
            output.emit_json(data)
            return
        output.console.print(f"[bold]{data['status']['description']}[/bold]")
        table = output.Table("Component", "Status", box=None)
        for c in data["components"]:
            if not c["group"]:
                table.add_row(c["name"], c["status"])
        output.console.print(table)
        for incident in data["incidents"]:
            output.console.print(f"#{incident['id']} {incident['status']}: {incident['name']}")

    maint = typer.Typer(help="Planned maintenance windows.", no_args_is_help=True)
    app.add_typer(maint, name="maintenance")

    @maint.command("schedule")
    @reports_errors
    def schedule(
        title: Annotated[str, typer.Option()],
        start: Annotated[datetime, typer.Option(help="ISO 8601, UTC if no zone")],
        end: Annotated[datetime, typer.Option(help="ISO 8601, UTC if no zone")],
        components: Components = None,
        description: Annotated[str, typer.Option()] = "",
        impact: Annotated[str | None, typer.Option(help="Expected impact, for the notice")] = None,
        reason: Annotated[str | None, typer.Option(help="Why, for the notice")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Schedule a window: notices 7 days and 24 hours before, under maintenance during."""
        body: dict[str, Any] = {
            "title": title,
            "components": components or [],
            "starts_at": _utc(start),
            "ends_at": _utc(end),
            "description": description,
        }
        if impact:
            body["impact"] = impact
        if reason:
            body["reason"] = reason
        data = Client.from_env().request("POST", "/api/v1/maintenances", json=body)
        output.say(data, as_json, "Scheduled " + _window_line(data))

    @maint.command("list")
    @reports_errors
    def list_windows(as_json: JsonFlag = False) -> None:
        """Every maintenance window."""
        data = Client.from_env().request("GET", "/api/v1/maintenances")
        if as_json:
            output.emit_json(data)
            return
        for item in data["maintenances"]:
            output.console.print(_window_line(item), markup=False, soft_wrap=True)

    for action, words in (("complete", "End a started window now"), ("cancel", "Cancel a window")):

        def act(maintenance_id: int, as_json: JsonFlag = False, _action: str = action) -> None:
            data = Client.from_env().request(
                "POST", f"/api/v1/maintenances/{maintenance_id}/{_action}"
            )
            output.say(data, as_json, _window_line(data))

        act.__doc__ = f"{words}."
        maint.command(action)(reports_errors(act))

    subs = typer.Typer(help="Status page subscribers (admin).", no_args_is_help=True)
    app.add_typer(subs, name="subscribers")

    @subs.command("list")
    @reports_errors
    def list_subscribers(as_json: JsonFlag = False) -> None:
        """Every subscriber that has not left."""
        data = Client.from_env().request("GET", "/api/v1/subscribers")
        output.rows(
            data,
            as_json,
            "subscribers",
            ("#", "Kind", "Address", "Components", "Status"),
            lambda s: (
                str(s["id"]),
                s["kind"],
                s["address"],
                " ".join(s["components"]) or "all",
                s["status"],
            ),
        )

    @subs.command("add")
    @reports_errors
    def add(
        address: str,
        webhook: Annotated[bool, typer.Option(help="ADDRESS is a webhook URL")] = False,
        components: Components = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Add a subscriber (active at once: you vouch for their consent)."""
        data = Client.from_env().request(
            "POST",
            "/api/v1/subscribers",
            json={
                "kind": "webhook" if webhook else "email",
                "address": address,
                "components": components or [],
            },
        )
        text = f"Subscriber #{data['id']} {data['address']}"
        if "secret" in data:
            text += f"\nSigning secret (X-Firebell-Signature): {data['secret']}"
        output.say(data, as_json, text)

    @subs.command("remove")
    @reports_errors
    def remove(subscriber_id: int) -> None:
        """Delete a subscriber."""
        Client.from_env().request("DELETE", f"/api/v1/subscribers/{subscriber_id}")
        output.console.print(f"Subscriber #{subscriber_id} removed")

    @subs.command("export")
    @reports_errors
    def export() -> None:
        """Every subscriber as CSV on standard output."""
        typer.echo(Client.from_env().request_text("GET", "/api/v1/subscribers.csv"), nl=False)

    @subs.command("import")
    @reports_errors
    def import_csv(path: Path) -> None:
        """Add subscribers from a CSV (kind,address,components): all rows or none."""
        try:
            text = path.read_text()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc}", 2) from None
        data = Client.from_env().request(
            "POST",
            "/api/v1/subscribers/import",
            content=text.encode(),
        )
        output.console.print(f"Imported {data['imported']} subscriber(s)")
