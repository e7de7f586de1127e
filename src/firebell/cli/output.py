"""Human tables by default, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

# rich is imported on first use, not at start-up: `firebell show 1 --json` never draws a
# table, and importing rich was a fifth of the CLI's start-up.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    console: Console

__all__ = ["Table", "console"]


def __getattr__(name: str) -> Any:
    """`output.console` and `output.Table`, imported when a command first uses them."""
    if name == "console":
        from rich.console import Console

        globals()["console"] = Console()
        return globals()["console"]
    if name == "Table":
        from rich.table import Table

        globals()["Table"] = Table
        return Table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _console() -> Console:
    value: Console = globals()["console"] if "console" in globals() else __getattr__("console")
    return value


def _table(*args: Any, **kwargs: Any) -> Table:
    from rich.table import Table

    return Table(*args, **kwargs)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def say(data: Any, as_json: bool, text: str) -> None:
    """The command's result: JSON for scripts, or one line for people."""
    if as_json:
        emit_json(data)
    else:
        _console().print(text)


def rows(
    data: dict[str, Any],
    as_json: bool,
    key: str,
    headers: Sequence[str],
    row: Callable[[dict[str, Any]], Sequence[str]],
) -> None:
    """A list answer: the JSON for scripts, or a table of `data[key]`, a row each."""
    if as_json:
        emit_json(data)
        return
    table = _table(*headers, box=None)
    for item in data[key]:
        table.add_row(*row(item))
    _console().print(table)


def short_time(value: str | None) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")


def incident_table(incidents: list[dict[str, Any]]) -> None:
    table = _table("#", "Sev", "Status", "Title", "Service", "Declared", "Ack", "SLA", box=None)
    for incident in incidents:
        table.add_row(
            str(incident["id"]),
            incident["severity"],
            incident["status"],
            incident["title"] + (" [private]" if incident["private"] else ""),
            incident["service"] or "-",
            short_time(incident["declared_at"]),
            "yes" if incident["acknowledged_at"] else "no",
            sla_summary(incident.get("sla")),
        )
    _console().print(table)


def sla_text(clock: dict[str, Any]) -> str:
    """One SLA clock for people: 'due in 3 min', 'BREACHED 5 min ago', 'met', 'missed'."""
    from firebell.incidents.sla_clocks import human  # lazy: keeps `firebell --help` fast

    remaining = clock.get("remaining_seconds")
    if remaining is None:
        return "missed" if clock["breached"] else "met"
    span = timedelta(seconds=abs(remaining))
    return f"BREACHED {human(span)} ago" if clock["breached"] else f"due in {human(span)}"


def sla_summary(clocks: list[dict[str, Any]] | None) -> str:
    """The clocks still running, or '-'."""
    running = [c for c in clocks or [] if c.get("remaining_seconds") is not None]
    names = {"response": "response", "resolution": "resolve", "next_update": "update"}
    return "; ".join(f"{names[c['name']]} {sla_text(c)}" for c in running) or "-"


def incident_detail(incident: dict[str, Any]) -> None:
    _console().print(f"[bold]#{incident['id']} {incident['title']}[/bold]")
    rows = [
        ("severity", incident["severity"]),
        ("status", incident["status"]),
        ("service", incident["service"] or "-"),
        ("commander", incident["commander"] or "-"),
        ("private", "yes" if incident["private"] else "no"),
        ("drill", "yes" if incident["drill"] else "no"),
        ("playbook", incident["playbook_version"]),
    ]
    for stamp in (
        "impact_started",
        "detected",
        "declared",
        "acknowledged",
        "mitigated",
        "resolved",
        "closed",
    ):
        rows.append((stamp, short_time(incident[f"{stamp}_at"])))
    for clock in incident.get("sla") or []:
        due = short_time(clock["due_at"])
        rows.append((f"{clock['name'].replace('_', ' ')} due", f"{due} ({sla_text(clock)})"))
    table = _table(show_header=False, box=None)
    for key, value in rows:
        table.add_row(key, value)
    _console().print(table)


def timeline_table(events: list[dict[str, Any]]) -> None:
    """Readable at 80 columns: a compact UTC time, the kind never broken, details folded."""
    table = _table("Time (UTC)", "Actor", "Event", "Details", box=None, padding=(0, 1))
    table.columns[0].no_wrap = True
    table.columns[2].no_wrap = True
    table.columns[3].overflow = "fold"
    for event in events:
        details = ", ".join(f"{k}={v}" for k, v in event["details"].items() if v is not None)
        stamp = datetime.fromisoformat(event["at"]).strftime("%m-%d %H:%M:%S")
        table.add_row(stamp, event["actor"], event["kind"], details)
    _console().print(table)
