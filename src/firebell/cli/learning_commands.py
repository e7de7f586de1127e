"""Client commands for learning: metrics, post-mortems, action items, the monthly review."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client, CliError
from firebell.cli.incident_commands import JsonFlag, reports_errors
from firebell.reports.units import duration, pct


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-11' -> [2026-11-01, 2026-12-01) in UTC."""
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise CliError(f"--month: '{month}' is not YYYY-MM", 2) from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, datetime(following.year, following.month, 1, tzinfo=UTC)


def metrics_table(data: dict[str, Any]) -> None:
    table = output.Table(
        "Group",
        "n",
        "MTTA mean",
        "median",
        "p90",
        "KM median",
        "cens.",
        "MTTR mean",
        "median",
        "KM median",
        "cens.",
        "SLA resp.",
        "SLA resol.",
        box=None,
    )
    for g in data["groups"]:
        a, r = g["mtta"], g["mttr"]
        late = " [red](over target)[/red]" if a["meets_target"] is False else ""
        table.add_row(
            g["key"],
            str(g["count"]),
            duration(a["mean"]) + late,
            duration(a["median"]),
            duration(a["p90"]),
            duration(a["km_median"]),
            str(a["censored"]),
            duration(r["mean"]),
            duration(r["median"]),
            duration(r["km_median"]),
            str(r["censored"]),
            pct(g["sla_response"]["percent"]),
            pct(g["sla_resolution"]["percent"]),
        )
    output.console.print(table)
    pm, ai = data["postmortems_on_time"], data["action_items_completion"]
    output.console.print(
        f"post-mortems on time: {pct(pm['percent'])} · action items done by due date: "
        f"{pct(ai['percent'])} · open action items: {data['action_items_open']} · "
        f"repeat groups: {len(data['repeat_incidents'])} · drills excluded: "
        f"{data['drills_excluded']}"
    )
    if data["oncall_load"]:
        load = output.Table("Person", "Pages", "Outside hours", "Sleep hours", box=None)
        for p in data["oncall_load"]:
            load.add_row(
                p["person"], str(p["pages"]), str(p["outside_working_hours"]), str(p["sleep_hours"])
            )
        output.console.print(load)


def edit_text(text: str, suffix: str = ".md") -> str:
    """Open $VISUAL/$EDITOR (else vi) on the text and return what was saved."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"postmortem{suffix}"
        path.write_text(text)
        path.chmod(0o600)
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if done.returncode != 0:
            raise CliError(f"the editor exited with {done.returncode}; nothing was saved")
        return path.read_text()


def _report_group(app: typer.Typer) -> typer.Typer:
    """The `report` group (made by the on-call commands), or a new one."""
    for group in app.registered_groups:
        if group.name == "report" and group.typer_instance is not None:
            return group.typer_instance
    report_app = typer.Typer(help="Reports.", no_args_is_help=True)
    app.add_typer(report_app, name="report")
    return report_app


def write_monthly(data: dict[str, Any], folder: Path, pdf: bytes | None) -> list[Path]:
    """review-<month>.md with charts/*.svg beside it, review-<month>.html (self-contained)
    and, if given, the PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "charts").mkdir(exist_ok=True)
    stem = f"review-{data['month']}"
    written = [folder / f"{stem}.md", folder / f"{stem}.html"]
    written[0].write_text(data["markdown"])
    written[1].write_text(data["html"])
    for name, svg in data["charts"].items():
        path = folder / "charts" / f"{name}.svg"
        path.write_text(svg)
        written.append(path)
    if pdf is not None:
        written.append(folder / f"{stem}.pdf")
        written[-1].write_bytes(pdf)
    return written


def register(app: typer.Typer) -> None:
    report_app = _report_group(app)

    @report_app.command("monthly")
    @reports_errors
    def report_monthly(
        month: Annotated[str, typer.Option(help="YYYY-MM")],
        output_dir: Annotated[
            Path, typer.Option("--output-dir", "-o", help="Folder for .md, .html, charts")
        ] = Path("."),
        pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """The monthly incident review as Markdown and HTML with SVG charts (and PDF)."""
        client = Client.from_env()
        data = client.request("GET", "/api/v1/reports/monthly", params={"month": month})
        document = None
        if pdf:
            document = client._send(
                "GET", "/api/v1/reports/monthly", params={"month": month, "format": "pdf"}
            ).content
        written = write_monthly(data, output_dir, document)
        output.say(
            {"month": month, "files": [str(p) for p in written]},
            as_json,
            "wrote " + ", ".join(str(p) for p in written[:2]) + f" and {len(written) - 2} more",
        )

    pm_app = typer.Typer(help="Post-mortems: read, edit, review, export.", no_args_is_help=True)
    app.add_typer(pm_app, name="postmortem")
    ai_app = typer.Typer(help="Action items from incidents.", no_args_is_help=True)
    app.add_typer(ai_app, name="action-item")

    @app.command()
    @reports_errors
    def metrics(
        since: Annotated[
            str | None, typer.Option(help="ISO time, e.g. 2026-11-01T00:00:00Z")
        ] = None,
        until: Annotated[str | None, typer.Option(help="ISO time (exclusive)")] = None,
        month: Annotated[str | None, typer.Option(help="YYYY-MM instead of since/until")] = None,
        severity: str | None = None,
        service: str | None = None,
        as_json: JsonFlag = False,
    ) -> None:
        """MTTA, MTTR, MTTD, SLA compliance, repeats and on-call load for a period."""
        if month:
            start, end = month_bounds(month)
            since, until = start.isoformat(), end.isoformat()
        if not (since and until):
            raise CliError("give --month YYYY-MM, or both --since and --until", 2)
        params = {"since": since, "until": until, "severity": severity, "service": service}
        data = Client.from_env().request(
            "GET", "/api/v1/metrics", params={k: v for k, v in params.items() if v}
        )
        if as_json:
            output.emit_json(data)
        else:
            metrics_table(data)

    def _pm_url(number: int) -> str:
        return f"/api/v1/incidents/{number}/postmortem"

    @pm_app.command("show")
    @reports_errors
    def pm_show(number: int, as_json: JsonFlag = False) -> None:
        """Print a post-mortem (its Markdown text and review state)."""
        data = Client.from_env().request("GET", _pm_url(number))
        if as_json:
            output.emit_json(data)
            return
        print(data["body"])
        missing = ", ".join(data["missing_signoffs"]) or "none"
        output.console.print(
            f"[bold]state[/bold] {data['state']} · author {data['author']} · due "
            f"{output.short_time(data['due_at'])} · missing sign-offs: {missing}"
        )

    @pm_app.command("create")
    @reports_errors
    def pm_create(number: int, as_json: JsonFlag = False) -> None:
        """Start a post-mortem now (P0/P1 get one by themselves when resolved)."""
        data = Client.from_env().request("POST", _pm_url(number))
        output.say(data, as_json, f"Post-mortem of #{number} started (draft)")

    @pm_app.command("edit")
    @reports_errors
    def pm_edit(number: int, as_json: JsonFlag = False) -> None:
        """Edit the text in $EDITOR; saved only if it changed and nobody else saved first."""
        client = Client.from_env()
        current = client.request("GET", _pm_url(number))
        text = edit_text(current["body"])
        if text == current["body"]:
            output.say(current, as_json, "No change")
            return
        data = client.request(
            "PUT", _pm_url(number), json={"body": text, "revision": current["revision"]}
        )
        output.say(data, as_json, f"Saved revision {data['revision']} of #{number}")

    @pm_app.command("state")
    @reports_errors
    def pm_state(
        number: int,
        state: Annotated[str, typer.Argument(help="draft, in_review or published")],
        summary: Annotated[str | None, typer.Option(help="Public summary")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Move a post-mortem: draft -> in_review -> published."""
        body: dict[str, Any] = {"state": state}
        if summary is not None:
            body["public_summary"] = summary
        data = Client.from_env().request("PUT", _pm_url(number), json=body)
        output.say(data, as_json, f"Post-mortem of #{number} is {data['state']}")

    @pm_app.command("signoff")
    @reports_errors
    def pm_signoff(number: int, reviewer: str, as_json: JsonFlag = False) -> None:
        """Sign off as one of the reviewer roles (e.g. "Technical Lead")."""
        data = Client.from_env().request(
            "POST", _pm_url(number) + "/signoffs", json={"reviewer": reviewer}
        )
        missing = ", ".join(data["missing_signoffs"]) or "none"
        output.say(data, as_json, f"Signed off as {reviewer}; still missing: {missing}")

    @pm_app.command("meeting")
    @reports_errors
    def pm_meeting(
        number: int,
        at: Annotated[str | None, typer.Option(help="ISO time; default: proposed")] = None,
        invite: Annotated[list[str] | None, typer.Option(help="person id (repeat)")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Schedule the review meeting and e-mail invitations (iCalendar)."""
        body: dict[str, Any] = {"at": at, "invitees": invite}
        data = Client.from_env().request(
            "POST", _pm_url(number) + "/meeting", json={k: v for k, v in body.items() if v}
        )
        meeting = data["meeting"]
        output.say(
            data,
            as_json,
            f"Review of #{number} at {output.short_time(meeting['at'])}; invited "
            f"{', '.join(meeting['invitees'])}",
        )

    @pm_app.command("export")
    @reports_errors
    def pm_export(
        number: int,
        format: Annotated[str, typer.Option(help="md, html or pdf")] = "md",
        out: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    ) -> None:
        """Export as Markdown, HTML or PDF (to a file, or Markdown/HTML to stdout)."""
        response = Client.from_env()._send(
            "GET", _pm_url(number) + "/export", params={"format": format}
        )
        if out is not None:
            out.write_bytes(response.content)
            typer.echo(f"wrote {out}", err=True)
        elif format == "pdf":
            raise CliError("a PDF needs --output FILE", 2)
        else:
            print(response.text)

    @ai_app.command("add")
    @reports_errors
    def ai_add(
        number: int,
        title: str,
        category: Annotated[str, typer.Option(help="prevent, detect or respond")],
        owner: Annotated[str, typer.Option(help="person id")],
        due: Annotated[str | None, typer.Option(help="ISO time")] = None,
        priority: str = "P2",
        as_json: JsonFlag = False,
    ) -> None:
        """Add an action item to an incident."""
        body = {
            "title": title,
            "category": category,
            "owner": owner,
            "due_at": due,
            "priority": priority,
        }
        data = Client.from_env().request(
            "POST",
            f"/api/v1/incidents/{number}/action-items",
            json={k: v for k, v in body.items() if v is not None},
        )
        output.say(data, as_json, f"Action item {data['id']} for @{owner}: {title}")

    @ai_app.command("list")
    @reports_errors
    def ai_list(
        owner: str | None = None,
        team: str | None = None,
        open_only: Annotated[bool, typer.Option("--open")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Action items per person or team, soonest due first."""
        params: dict[str, Any] = {"owner": owner, "team": team, "open_only": open_only}
        data = Client.from_env().request(
            "GET", "/api/v1/action-items", params={k: v for k, v in params.items() if v}
        )
        output.rows(
            data,
            as_json,
            "items",
            ("Id", "#", "Type", "Action", "Owner", "Due", "Pri", "Status"),
            lambda i: (
                str(i["id"]),
                str(i["incident_id"]),
                i["category"],
                i["title"],
                i["owner"],
                output.short_time(i["due_at"]),
                i["priority"],
                i["status"],
            ),
        )

    @ai_app.command("set")
    @reports_errors
    def ai_set(
        item_id: int,
        status: str | None = None,
        owner: str | None = None,
        due: Annotated[str | None, typer.Option(help="ISO time")] = None,
        priority: str | None = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Change an action item's status, owner, due date or priority."""
        body = {"status": status, "owner": owner, "due_at": due, "priority": priority}
        data = Client.from_env().request(
            "PATCH",
            f"/api/v1/action-items/{item_id}",
            json={k: v for k, v in body.items() if v is not None},
        )
        output.say(data, as_json, f"Action item {item_id}: {data['status']}")
