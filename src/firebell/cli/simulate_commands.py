"""`firebell simulate`: what an alert would cause under a playbook, without sending anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command()(simulate)


def simulate(
    alert: Annotated[Path, typer.Argument(help="The alert as its sender posts it (JSON)")],
    integration: Annotated[
        str, typer.Option(help="Integration id in the playbook (its format parses the alert)")
    ] = "alertmanager",
    at: Annotated[
        str | None, typer.Option(help="When it fires, ISO 8601 (default: now); no zone = UTC")
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(envvar="FIREBELL_PLAYBOOK", help="Default: the built-in one")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The outcome as JSON")] = False,
) -> None:
    """Severity and branch, service, who is paged when and which audiences are told, if this
    alert opened an incident. Reads no database and sends nothing."""
    from firebell.intake.errors import IntakeError
    from firebell.playbook.loader import PlaybookError, load_playbook
    from firebell.playbook.simulation import simulate_alert

    try:
        loaded = load_playbook(playbook)
        payload = json.loads(alert.read_text(encoding="utf-8"))
        when = datetime.fromisoformat(at) if at else datetime.now(UTC)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        outcomes = simulate_alert(loaded.playbook, integration, payload, when)
    except PlaybookError as exc:
        _fail(as_json, str(exc))
    except (OSError, ValueError, IntakeError) as exc:
        _fail(as_json, str(exc))
    if as_json:
        typer.echo(json.dumps([_outcome_json(o) for o in outcomes], indent=2, default=str))
        return
    if not outcomes:
        typer.echo("No firing alert in this payload: nothing would be opened or paged.")
    for outcome in outcomes:
        _print_outcome(outcome, when)


def _fail(as_json: bool, message: str) -> None:
    if as_json:
        typer.echo(json.dumps({"error": message}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _outcome_json(outcome: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(outcome)
    for page in data["escalation"]["pages"]:
        page["after_seconds"] = page.pop("after").total_seconds()
    for skipped in data["escalation"]["skipped"]:
        skipped["after_seconds"] = skipped.pop("after").total_seconds()
    return data


def _print_outcome(outcome: Any, when: datetime) -> None:
    v = outcome.verdict
    typer.echo(f"Alert: {v.summary}")
    typer.echo(f"  severity {v.severity} — {v.reason}")
    typer.echo(f"  service  {v.service}")
    run = outcome.escalation
    typer.echo(f"  paging   {run.mode} with policy {run.policy} ({run.urgency} urgency)")
    for page in run.pages:
        stamp = (when + page.after).strftime("%Y-%m-%d %H:%M UTC")
        minutes = int(page.after.total_seconds() // 60)
        typer.echo(
            f"    +{minutes:>3}m {stamp}  level {page.level} {page.level_name}: "
            f"{', '.join(page.people)}"
        )
        typer.echo(f"           via {', '.join(page.methods) or 'nothing (unreachable)'}")
    for skipped in run.skipped:
        typer.echo(f"    level {skipped.level} {skipped.level_name}: nobody on call, skipped")
    for notice in outcome.notices:
        within = f" within {notice.within}" if notice.within else ""
        typer.echo(f"  tell     {notice.audience} by {', '.join(notice.channels)}{within}")
    typer.echo(f"  war room {outcome.war_room}")
