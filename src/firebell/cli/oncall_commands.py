"""Client commands for on-call: who is on call, overrides, hand-offs, the pay report."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(help="Reports.", no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @app.command()
    @reports_errors
    def oncall(
        schedule: Annotated[str | None, typer.Option(help="Only this schedule")] = None,
        at: Annotated[datetime | None, typer.Option(help="When (ISO 8601, UTC if no zone)")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Who is on call now (or at --at), per escalation level."""
        params: dict[str, Any] = {}
        if at is not None:
            params["since"] = params["until"] = _iso(at)
        if schedule:
            params["schedule"] = schedule
        data = Client.from_env().request("GET", "/api/v1/oncalls", params=params)
        output.rows(
            data,
            as_json,
            "oncalls",
            ("Policy", "Level", "Who", "Schedule", "From", "Until"),
            lambda item: (
                item["escalation_policy"]["summary"],
                str(item["escalation_level"]),
                item["user"]["summary"],
                item["schedule"]["summary"] if item["schedule"] else "-",
                output.short_time(item["start"]),
                output.short_time(item["end"]),
            ),
        )

    @app.command()
    @reports_errors
    def override(
        schedule: str,
        person: str,
        start: Annotated[datetime, typer.Option(help="ISO 8601, UTC if no zone")],
        end: Annotated[datetime, typer.Option(help="ISO 8601, UTC if no zone")],
        reason: Annotated[str | None, typer.Option()] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Put PERSON on call for SCHEDULE from --start to --end."""
        body = {"person": person, "start": _iso(start), "end": _iso(end), "reason": reason}
        data = Client.from_env().request(
            "POST", f"/api/v1/schedules/{schedule}/overrides", json=body
        )
        output.say(data, as_json, f"Override #{data['id']}: {person} on call for {schedule}")

    @app.command()
    @reports_errors
    def handoff(
        schedule: Annotated[str, typer.Option(help="Schedule id")],
        status: Annotated[str, typer.Option(help="All Clear, or Ongoing: ...")] = "All Clear",
        recent_changes: Annotated[str | None, typer.Option()] = None,
        maintenance: Annotated[str | None, typer.Option()] = None,
        known_issues: Annotated[str | None, typer.Option()] = None,
        notes: Annotated[str | None, typer.Option()] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Record a hand-off note on the current shift (open incidents are added)."""
        body = {
            "status": status,
            "recent_changes": recent_changes,
            "maintenance": maintenance,
            "known_issues": known_issues,
            "notes": notes,
        }
        data = Client.from_env().request(
            "POST",
            f"/api/v1/schedules/{schedule}/handoffs",
            json={k: v for k, v in body.items() if v is not None},
        )
        if as_json:
            output.emit_json(data)
            return
        output.console.print(
            f"Hand-off recorded for {schedule}: {data['outgoing']} -> {data['incoming']}; "
            f"{len(data['notes']['open_incidents'])} open incident(s) listed"
        )

    @report_app.command("oncall-pay")
    @reports_errors
    def oncall_pay(
        month: Annotated[str, typer.Option(help="YYYY-MM")],
        csv: Annotated[bool, typer.Option("--csv", help="CSV instead of a table")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """On-call compensation for a month, by the playbook's rules."""
        client = Client.from_env()
        if csv:
            text = client.request_text(
                "GET", "/api/v1/reports/oncall-pay", params={"month": month, "format": "csv"}
            )
            sys.stdout.write(text)
            return
        data = client.request("GET", "/api/v1/reports/oncall-pay", params={"month": month})
        output.rows(
            data,
            as_json,
            "rows",
            ("Who", "Weekdays", "Weekend", "Holidays", "Incident h (1.5x)", "Comp hours"),
            lambda row: (
                row["user"],
                str(row["weekday_days"]),
                str(row["weekend_days"]),
                str(row["holiday_days"]),
                row["incident_hours_outside_business"],
                row["total_comp_hours"],
            ),
        )
