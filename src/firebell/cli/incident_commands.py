"""Client commands that act on incidents through a running server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from firebell.cli import output
from firebell.cli.client import Client, CliError

P = ParamSpec("P")
R = TypeVar("R")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _utc(value: datetime) -> str:
    """ISO 8601 with a zone (UTC when none is given)."""
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a CliError as one line on stderr and exit with its code; under --json the
    error is a JSON document on stdout (the problem+json the server sent, if any)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CliError as exc:
            if kwargs.get("as_json"):
                output.emit_json(exc.as_json())
            else:
                typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.code) from None

    return wrapper


def _show(incident: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        output.emit_json(incident)
    else:
        output.console.print(message)
        output.incident_detail(incident)


def timeline_pages(
    client: Client, number: int, limit: int, cursor: str | None, every: bool
) -> dict[str, Any]:
    """One page of the timeline; with `every`, all pages joined (oldest first)."""
    path = f"/api/v1/incidents/{number}/timeline"
    params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    data: dict[str, Any] = client.request("GET", path, params=params)
    while every and data.get("older"):
        older = client.request("GET", path, params={"limit": limit, "cursor": data["older"]})
        data = {**older, "events": older["events"] + data["events"]}
    return data


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def declare(
        title: str,
        severity: Annotated[str, typer.Option("--severity", "-s", help="P0, P1, P2 or P3")],
        service: Annotated[str | None, typer.Option(help="A service id from the playbook")] = None,
        summary: Annotated[str | None, typer.Option()] = None,
        impact_started: Annotated[
            datetime | None, typer.Option(help="When impact began (ISO 8601, UTC if no zone)")
        ] = None,
        commander: Annotated[str | None, typer.Option()] = None,
        private: Annotated[bool, typer.Option(help="A security incident")] = False,
        drill: Annotated[bool, typer.Option(help="A practice incident")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Declare an incident."""
        body: dict[str, Any] = {
            "title": title,
            "severity": severity.upper(),
            "private": private,
            "drill": drill,
        }
        for key, value in (("service", service), ("summary", summary), ("commander", commander)):
            if value is not None:
                body[key] = value
        if impact_started is not None:
            stamp = impact_started.isoformat()
            body["impact_started_at"] = stamp if impact_started.tzinfo else stamp + "+00:00"
        incident = Client.from_env().request("POST", "/api/v1/incidents", json=body)
        _show(incident, as_json, f"Declared incident #{incident['id']}")

    @app.command()
    @reports_errors
    def ack(number: int, as_json: JsonFlag = False) -> None:
        """Acknowledge an incident."""
        incident = Client.from_env().request("POST", f"/api/v1/incidents/{number}/acknowledge")
        _show(incident, as_json, f"Acknowledged incident #{number}")

    @app.command()
    @reports_errors
    def status(
        number: int,
        new_status: Annotated[
            str, typer.Argument(help="investigating, identified, monitoring, resolved, closed")
        ],
        as_json: JsonFlag = False,
    ) -> None:
        """Set an incident's status."""
        incident = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/status", json={"status": new_status}
        )
        _show(incident, as_json, f"Incident #{number} is now {incident['status']}")

    @app.command()
    @reports_errors
    def severity(
        number: int,
        new_severity: Annotated[str, typer.Argument(help="P0, P1, P2 or P3")],
        reason: Annotated[str, typer.Option("--reason", "-r", help="Why it changes")],
        as_json: JsonFlag = False,
    ) -> None:
        """Escalate or downgrade an incident's severity, with a reason."""
        incident = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/severity",
            json={"severity": new_severity.upper(), "reason": reason},
        )
        _show(incident, as_json, f"Incident #{number} is now {incident['severity']}")

    @app.command()
    @reports_errors
    def commander(number: int, person: str, as_json: JsonFlag = False) -> None:
        """Assign the incident commander."""
        incident = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/commander", json={"commander": person}
        )
        _show(incident, as_json, f"{person} commands incident #{number}")

    @app.command()
    @reports_errors
    def note(number: int, text: str, as_json: JsonFlag = False) -> None:
        """Add a note to an incident's timeline."""
        event = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/notes", json={"text": text}
        )
        output.say(event, as_json, f"Noted on incident #{number}")

    @app.command()
    @reports_errors
    def resolve(
        number: int,
        summary: Annotated[str | None, typer.Option(help="What resolved it")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Resolve an incident."""
        body = {"summary": summary} if summary else None
        incident = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/resolve", json=body
        )
        _show(incident, as_json, f"Resolved incident #{number}")

    @app.command()
    @reports_errors
    def incidents(
        status: Annotated[list[str] | None, typer.Option(help="Filter; repeatable")] = None,
        severity: Annotated[list[str] | None, typer.Option(help="Filter; repeatable")] = None,
        service: Annotated[str | None, typer.Option()] = None,
        since: Annotated[str | None, typer.Option(help="Declared at or after (ISO 8601)")] = None,
        until: Annotated[str | None, typer.Option(help="Declared before (ISO 8601)")] = None,
        limit: Annotated[int, typer.Option()] = 50,
        as_json: JsonFlag = False,
    ) -> None:
        """List incidents, newest first."""
        params: list[tuple[str, str | int]] = [("limit", limit)]
        params += [("status", s) for s in status or []]
        params += [("severity", s.upper()) for s in severity or []]
        for key, value in (("service", service), ("since", since), ("until", until)):
            if value:
                params.append((key, value))
        page = Client.from_env().request("GET", "/api/v1/incidents", params=params)
        if as_json:
            output.emit_json(page)
        else:
            output.incident_table(page["incidents"])
            output.console.print(f"{len(page['incidents'])} of {page['total']}")

    @app.command()
    @reports_errors
    def show(number: int, as_json: JsonFlag = False) -> None:
        """Show one incident."""
        incident = Client.from_env().request("GET", f"/api/v1/incidents/{number}")
        if as_json:
            output.emit_json(incident)
        else:
            output.incident_detail(incident)

    @app.command()
    @reports_errors
    def timeline(
        number: int,
        limit: Annotated[int, typer.Option(help="Events per page (the newest first)")] = 200,
        cursor: Annotated[
            str | None, typer.Option(help="Show the page before this one (from 'older')")
        ] = None,
        every: Annotated[bool, typer.Option("--all", help="Every event, page by page")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Show an incident's timeline: the newest events, oldest first on the page."""
        data = timeline_pages(Client.from_env(), number, limit, cursor, every)
        if as_json:
            output.emit_json(data)
            return
        output.timeline_table(data["events"])
        if data.get("older"):
            typer.echo(f"older events: firebell timeline {number} --cursor {data['older']}")

    @app.command()
    @reports_errors
    def integrations(as_json: JsonFlag = False) -> None:
        """List intake integrations with their format, key and URL (admin token)."""
        data = Client.from_env().request("GET", "/api/v1/integrations")
        output.rows(
            data,
            as_json,
            "integrations",
            ("Id", "Format", "Service", "Key", "URL"),
            lambda i: (i["id"], i["format"], i["service"], i["key"], i["url"]),
        )

    @app.command()
    @reports_errors
    def escalate(
        number: int,
        level: Annotated[int | None, typer.Option(help="Escalation level (default: next)")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Page an escalation level now and continue the policy from there."""
        body = {"level": level} if level is not None else None
        data = Client.from_env().request("POST", f"/api/v1/incidents/{number}/escalate", json=body)
        output.say(data, as_json, f"Incident #{number}: paged level {data['level']}")

    @app.command()
    @reports_errors
    def silence(
        comment: Annotated[str, typer.Option(help="Why")],
        ends: Annotated[datetime, typer.Option(help="Until when (ISO 8601, UTC if no zone)")],
        match: Annotated[
            list[str] | None,
            typer.Option(help="field=value, field!=value, field=~regex; repeatable"),
        ] = None,
        service: Annotated[str | None, typer.Option()] = None,
        maintenance: Annotated[bool, typer.Option(help="A maintenance window")] = False,
        starts: Annotated[
            datetime | None, typer.Option(help="From when (default now; UTC if no zone)")
        ] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Record matching alerts without paging anyone from --starts until --ends."""
        matchers = []
        for text in match or []:
            found = re.match(r"^([^=!~]+)(=~|!~|!=|=)(.*)$", text)
            if not found:
                raise CliError(f"--match needs field=value (or != =~ !~), got '{text}'", 2)
            matchers.append({"field": found[1], "op": found[2], "value": found[3]})
        stamp = _utc(ends)
        data = Client.from_env().request(
            "POST",
            "/api/v1/silences",
            json={
                "kind": "maintenance" if maintenance else "silence",
                "service": service,
                "matchers": matchers,
                "ends_at": stamp,
                "comment": comment,
                **({"starts_at": _utc(starts)} if starts is not None else {}),
            },
        )
        output.say(data, as_json, f"{data['kind'].capitalize()} #{data['id']} until {stamp}")

    @app.command()
    @reports_errors
    def reassign(number: int, person: str, as_json: JsonFlag = False) -> None:
        """Stop the escalation policy and page PERSON instead."""
        data = Client.from_env().request(
            "POST", f"/api/v1/incidents/{number}/reassign", json={"person": person}
        )
        output.say(
            data, as_json, f"#{number} reassigned to {person} ({data['deliveries']} page(s))"
        )
