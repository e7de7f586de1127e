"""`firebell doctor`: check an installation and say what to fix."""

from __future__ import annotations

from typing import Annotated

import typer

from firebell.cli.options import DatabaseUrl, Home, PlaybookFile


def doctor(
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
    offline: Annotated[
        bool, typer.Option(help="Skip the network checks (channels, running server)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Check people, escalation levels, channels, example contacts, integrations, the
    database and the clock; exit status 1 if anything is an error."""
    from firebell.cli import output
    from firebell.cli.serve import open_runtime
    from firebell.doctor import checks, probes
    from firebell.doctor.findings import Level, worst
    from firebell.doctor.run import diagnose

    runtime = open_runtime(home, database_url, playbook)
    try:
        findings = diagnose(runtime, live=not offline)
        if not offline:
            problem = probes.server(runtime.settings.base_url, verify=False)
            findings += checks.server(runtime.settings.base_url, problem)
    finally:
        runtime.close()
    level = worst(findings)
    if as_json:
        output.emit_json({"status": level, "findings": [f.as_dict() for f in findings]})
    else:
        from rich.markup import escape

        colour = {Level.OK: "green", Level.WARNING: "yellow", Level.ERROR: "red"}
        for finding in findings:
            mark = f"[{colour[finding.level]}]{finding.level:<7}[/]"
            output.console.print(f"{mark} {finding.check}: {escape(finding.message)}", emoji=False)
            if finding.fix:
                output.console.print(f"        fix: {escape(finding.fix)}", emoji=False)
        output.console.print(f"doctor: {level}")
    if level == Level.ERROR:
        raise typer.Exit(1)
