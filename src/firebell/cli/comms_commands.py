"""Client commands for communications: facts, preview, notify, disclosure approval."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client, CliError
from firebell.cli.incident_commands import JsonFlag, reports_errors

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="key=value for the template (repeat a key for a list; "
        "a value starting with [ or { is JSON)",
    ),
]


def parse_fields(pairs: list[str] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set needs key=value, got '{pair}'", 2)
        parsed: Any = value
        if value[:1] in ("[", "{"):
            try:
                parsed = json.loads(value)
            except ValueError as exc:
                raise CliError(f"--set {key}: not valid JSON ({exc})", 2) from None
        key = key.strip()
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, parsed] if isinstance(previous, list) else [previous, parsed]
        else:
            fields[key] = parsed
    return fields


def _print_rendered(items: list[dict[str, Any]]) -> None:
    for item in items:
        output.console.rule(f"{item['template']}.{item['variant']} ({item['channel']})")
        for label in ("subject", "title"):
            if item.get(label):
                output.console.print(f"[bold]{label}:[/bold] {item[label]}", markup=True)
        output.console.print(item["body"], markup=False, highlight=False)
        for problem in item.get("problems", []):
            output.console.print(f"[red]blocked: {problem}[/red]")
        if item.get("missing"):
            output.console.print(
                "not known yet (shown as placeholders): " + ", ".join(item["missing"]),
                markup=False,
                highlight=False,
            )
        if item.get("blocking"):
            output.console.print(
                "required before sending: " + ", ".join(item["blocking"]),
                markup=False,
                highlight=False,
            )


def register(app: typer.Typer) -> None:
    comms_app = typer.Typer(help="Communication templates.", no_args_is_help=True)
    app.add_typer(comms_app, name="comms")

    @comms_app.command("preview")
    @reports_errors
    def preview(
        template: str,
        incident: Annotated[int, typer.Option("--incident", help="Incident number")],
        variant: Annotated[str | None, typer.Option(help="Default: every variant")] = None,
        fields: SetOption = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Show exactly what a template would send for an incident."""
        body: dict[str, Any] = {"template": template, "fields": parse_fields(fields)}
        if variant:
            body["variant"] = variant
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{incident}/comms/preview", json=body
        )
        if as_json:
            output.emit_json(data)
        else:
            _print_rendered(data["rendered"])

    @app.command()
    @reports_errors
    def notify(
        number: int,
        template: Annotated[str, typer.Option(help="initial, update, resolution, security...")],
        audience: Annotated[str, typer.Option(help="An audience id, or 'all'")] = "all",
        fields: SetOption = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Send a template to an audience (the seed's notify --severity=P0 --channel=all)."""
        data = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/notify",
            json={"template": template, "audience": audience, "fields": parse_fields(fields)},
        )
        if as_json:
            output.emit_json(data)
            return
        output.console.print(
            f"Queued {data['messages']} message(s), {data['public_updates']} status page "
            f"update(s) for incident #{number}"
        )
        for skipped in data["skipped"]:
            output.console.print(f"not sent: {skipped}")

    @app.command()
    @reports_errors
    def facts(
        number: int,
        pairs: Annotated[list[str], typer.Argument(help="key=value")],
        as_json: JsonFlag = False,
    ) -> None:
        """Set what templates say about an incident (impact, actions, root_cause, eta...)."""
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/facts", json={"facts": parse_fields(pairs)}
        )
        output.say(data, as_json, f"Incident #{number} facts: {', '.join(sorted(data['facts']))}")

    @app.command("approve-disclosure")
    @reports_errors
    def approve_disclosure(
        number: int,
        audience: Annotated[str, typer.Option()],
        reason: Annotated[str, typer.Option()],
        as_json: JsonFlag = False,
    ) -> None:
        """Approve sending a security incident's details to a broader audience (admin)."""
        data = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/disclosures",
            json={"audience": audience, "reason": reason},
        )
        output.say(data, as_json, f"Disclosure of #{number} to '{audience}' approved and recorded")
