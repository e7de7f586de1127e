"""Client commands for alerts and silences: `firebell alerts`, `firebell silences`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors


def _held(alert: dict[str, Any]) -> str:
    held = alert.get("held_back_by")
    if not held:
        return "-"
    until = output.short_time(held.get("ends_at")) if held.get("ends_at") else "?"
    return f"{held['kind']} #{held['id']} until {until}"


def _show_alerts(alerts: list[dict[str, Any]]) -> None:
    """One block per alert: a headline, then its labels, history and what held it back
    (plain text, no markup: labels are the sender's text)."""
    if not alerts:
        output.console.print("No alerts.")
    for alert in alerts:
        where = f"incident #{alert['incident_id']}" if alert["incident_id"] else "no incident"
        lines = [
            f"#{alert['id']} {alert['status']} {alert['severity']} {alert['service']} "
            f"({where}, {alert['integration']}): {alert['summary']}",
            "    labels: "
            + (", ".join(f"{k}={v}" for k, v in sorted(alert["labels"].items())) or "-"),
            "    history: "
            + " -> ".join(
                f"{step['status']} {output.short_time(step['at'])}" for step in alert["history"]
            ),
        ]
        if alert.get("held_back_by"):
            lines.append(f"    held back by: {_held(alert)}")
        for line in lines:
            output.console.print(line, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    silences_app = typer.Typer(
        help="Silences and maintenance windows: list (default) and delete.",
        invoke_without_command=True,
    )
    app.add_typer(silences_app, name="silences")

    @app.command()
    @reports_errors
    def alerts(
        incident: Annotated[int | None, typer.Option(help="Only this incident's alerts")] = None,
        state: Annotated[
            list[str] | None, typer.Option(help="triggered, acknowledged, resolved; repeatable")
        ] = None,
        integration: Annotated[str | None, typer.Option()] = None,
        service: Annotated[str | None, typer.Option()] = None,
        silenced: Annotated[
            bool | None, typer.Option("--silenced/--not-silenced", help="Held back or not")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
        as_json: JsonFlag = False,
    ) -> None:
        """Alerts with their labels, status history and what held them back."""
        client = Client.from_env()
        if incident is not None:
            data = client.request("GET", f"/api/v1/incidents/{incident}/alerts")
        else:
            params: dict[str, Any] = {"limit": limit}
            for name, value in (
                ("state", state),
                ("integration", integration),
                ("service", service),
                ("silenced", None if silenced is None else str(silenced).lower()),
            ):
                if value is not None:
                    params[name] = value
            data = client.request("GET", "/api/v1/alerts", params=params)
        if as_json:
            output.emit_json(data)
            return
        _show_alerts(data["alerts"])
        for link in data.get("links", []):
            arrow = "→" if link["direction"] == "to" else "←"
            output.console.print(f"linked {arrow} #{link['incident']} ({link['reason']})")

    @silences_app.callback()
    def silences(ctx: typer.Context, as_json: JsonFlag = False) -> None:
        """List silences and maintenance windows that have not ended (future ones too)."""
        if ctx.invoked_subcommand is not None:
            return
        reports_errors(_list_silences)(as_json)

    @silences_app.command("delete")
    @reports_errors
    def delete(silence_id: int, as_json: JsonFlag = False) -> None:
        """End a silence now (a future one never starts); it stays in history."""
        Client.from_env().request("DELETE", f"/api/v1/silences/{silence_id}")
        output.say({"id": silence_id, "ended": True}, as_json, f"Silence #{silence_id} ended")


def _list_silences(as_json: bool) -> None:
    data = Client.from_env().request("GET", "/api/v1/silences")
    if as_json:
        output.emit_json(data)
        return
    if not data["silences"]:
        output.console.print("No silences.")
    for item in data["silences"]:
        matchers = ", ".join(f"{m['field']}{m['op']}{m['value']}" for m in item["matchers"])
        state = "active" if item["active"] else "starts later"
        line = (
            f"#{item['id']} {item['kind']} ({state}) {output.short_time(item['starts_at'])} -> "
            f"{output.short_time(item['ends_at'])} service={item['service'] or '*'} "
            f"matchers={matchers or '-'}: {item['comment']}"
        )
        output.console.print(line, markup=False, highlight=False, soft_wrap=True)
