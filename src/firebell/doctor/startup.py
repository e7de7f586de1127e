"""`serve` prints the doctor's warnings at start (the checks that need no network)."""

from __future__ import annotations

import typer

from firebell.doctor.findings import Level
from firebell.doctor.run import database_facts, static_findings
from firebell.runtime import Runtime


def print_startup_findings(runtime: Runtime) -> int:
    """Print each warning and error; returns how many. `firebell doctor` says more."""
    problems = [
        f for f in static_findings(runtime, database_facts(runtime.db)) if f.level != Level.OK
    ]
    for finding in problems:
        typer.echo(f"{finding.level}: {finding.message}", err=True)
        if finding.fix:
            typer.echo(f"  fix: {finding.fix}", err=True)
    if problems:
        typer.echo("run `firebell doctor` for the full check (channels, clock)", err=True)
    return len(problems)
