"""`firebell playbook …`: validate, show and export the playbook."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from firebell.playbook.loader import PlaybookError
    from firebell.playbook.replay import Difference
    from firebell.playbook.schema import Playbook

app = typer.Typer(help="Validate, show and export the playbook.", no_args_is_help=True)


def report(exc: PlaybookError) -> None:
    for problem in exc.problems:
        typer.echo(f"error: {problem}", err=True)
    typer.echo(f"{len(exc.problems)} problem(s) found", err=True)


@app.command()
def validate(file: Path) -> None:
    """Check a playbook; print every problem with file, line and field."""
    from firebell.paging.schedules import roster_warnings
    from firebell.playbook.loader import PlaybookError, load_playbook

    try:
        loaded = load_playbook(file)
    except PlaybookError as exc:
        report(exc)
        raise typer.Exit(1) from None
    for warning in roster_warnings(loaded.playbook):
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"{file}: valid (version {loaded.version})")


@app.command()
def show(
    section: Annotated[str | None, typer.Option(help="Only this top-level section")] = None,
    playbook: Annotated[
        Path | None, typer.Option(envvar="FIREBELL_PLAYBOOK", help="Default: the built-in one")
    ] = None,
) -> None:
    """Print the effective playbook (defaults filled in) as YAML."""
    from ruamel.yaml import YAML

    from firebell.playbook.loader import PlaybookError, load_playbook

    try:
        loaded = load_playbook(playbook)
    except PlaybookError as exc:
        report(exc)
        raise typer.Exit(1) from None
    data = loaded.playbook.model_dump(mode="json")
    if section is not None:
        if section not in data:
            typer.echo(f"error: no section '{section}'; sections: {', '.join(data)}", err=True)
            raise typer.Exit(1)
        data = {section: data[section]}
    yaml = YAML()
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    typer.echo(f"# playbook {loaded.path} (version {loaded.version})")
    sys.stdout.write(buffer.getvalue())


@app.command("export-default")
def export_default(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout")] = None,
) -> None:
    """Write the default playbook, to start your own from it."""
    from firebell.playbook.loader import default_playbook_text

    text = default_playbook_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@app.command("test")
def test(
    tests: Annotated[
        Path | None,
        typer.Argument(help="Tests file (default: the tests shipped with the default playbook)"),
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(envvar="FIREBELL_PLAYBOOK", help="Default: the built-in one")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Results as JSON")] = False,
) -> None:
    """Check the process itself: escalation timings, severity decisions, templates and
    hand-offs asserted against a playbook, without a server. Exit 1 when a test fails."""
    from firebell.playbook.assertions import load_tests
    from firebell.playbook.loader import PlaybookError, load_playbook
    from firebell.playbook.prove import junit_xml, run_tests

    try:
        loaded = load_playbook(playbook)
        cases = load_tests(tests)
    except PlaybookError as exc:
        report(exc)
        raise typer.Exit(2) from None
    results = run_tests(loaded.playbook, cases)
    if junit is not None:
        junit.write_bytes(junit_xml(results))
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json(
            {
                "playbook": loaded.path,
                "version": loaded.version,
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [
                    {
                        "name": r.name,
                        "kind": r.kind,
                        "passed": r.passed,
                        "differences": list(r.differences),
                        "error": r.error,
                    }
                    for r in results
                ],
            }
        )
    else:
        for result in results:
            mark = "PASS" if result.passed else ("ERROR" if result.error else "FAIL")
            typer.echo(f"{mark:5} {result.kind:10} {result.name}")
            for line in [result.error] if result.error else result.differences:
                typer.echo(f"      {line}")
        typer.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


def print_json(data: object) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2) + "\n")


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The playbook in force")],
    new: Annotated[Path, typer.Argument(help="The proposed playbook")],
    replay: Annotated[
        bool, typer.Option("--replay", help="Replay stored incidents through both playbooks")
    ] = False,
    since: Annotated[str, typer.Option(help="With --replay: how far back, e.g. 90d")] = "90d",
    home: Annotated[Path | None, typer.Option(envvar="FIREBELL_HOME")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="FIREBELL_DATABASE_URL")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Differences as JSON")] = False,
) -> None:
    """What changes between two playbooks: their settings, and with --replay what the
    stored incidents would have met instead (severity, routing, who was paged when, SLA).
    Exit 1 when anything differs, so a review can gate on it."""
    import difflib

    from firebell.playbook.durations import Span
    from firebell.playbook.loader import PlaybookError, load_playbook

    try:
        before, after = load_playbook(old), load_playbook(new)
        window = Span.parse(since).approx()
    except PlaybookError as exc:
        report(exc)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: --since: {exc}", err=True)
        raise typer.Exit(2) from None
    settings_diff = list(
        difflib.unified_diff(
            _dump(before.playbook).splitlines(),
            _dump(after.playbook).splitlines(),
            str(old),
            str(new),
            lineterm="",
            n=1,
        )
    )
    replayed = (
        _replay(before.playbook, after.playbook, window, home, database_url) if replay else None
    )
    if as_json:
        print_json(
            {
                "settings": settings_diff,
                "replay": None
                if replayed is None
                else {
                    "incidents": replayed[0],
                    "differences": [vars(d) for d in replayed[1]],
                },
            }
        )
    else:
        typer.echo("\n".join(settings_diff) if settings_diff else "settings: identical")
        if replayed is not None:
            count, differences = replayed
            typer.echo(f"\nreplayed {count} incident(s) from the last {since}:")
            for d in differences:
                typer.echo(f"  #{d.incident} {d.aspect}: {d.old}  ->  {d.new}")
            if not differences:
                typer.echo("  no incident would have gone differently")
    if settings_diff or (replayed is not None and replayed[1]):
        raise typer.Exit(1)


def _dump(playbook: Playbook) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(playbook.model_dump(mode="json"), buffer)
    return buffer.getvalue()


def _replay(
    old: Playbook, new: Playbook, window: timedelta, home: Path | None, database_url: str | None
) -> tuple[int, list[Difference]]:
    from firebell.clock import SystemClock
    from firebell.config import Settings
    from firebell.playbook.replay import replay
    from firebell.store.db import make_engine, make_sessionmaker, transaction
    from firebell.store.history import incident_records

    settings = Settings.resolve(home=home, database_url=database_url)
    engine = make_engine(settings.database_url)
    try:
        now = SystemClock().now()
        with transaction(make_sessionmaker(engine)) as session:
            records = incident_records(session, now - window, now)
    finally:
        engine.dispose()
    return len(records), replay(old, new, records)
