"""`firebell playbook …`: validate, show and export the playbook."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from firebell.playbook.loader import PlaybookError

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
