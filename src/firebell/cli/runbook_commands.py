"""`firebell runbook`: walk a playbook workflow on an incident, step by step, in the terminal."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors


def register(app: typer.Typer) -> None:
    runbook_app = typer.Typer(help="Guided runbooks on an incident.", no_args_is_help=True)
    app.add_typer(runbook_app, name="runbook")

    @runbook_app.command("list")
    @reports_errors
    def runbook_list(number: int, as_json: JsonFlag = False) -> None:
        """The workflows that fit the incident, and its runs."""
        data = Client.from_env().request("GET", f"/api/v1/incidents/{number}/runbooks")
        if as_json:
            output.emit_json(data)
            return
        for flow in data["workflows"]:
            output.console.print(f"{flow['id']:24} {flow['name']} (when: {flow['trigger']})")
        for run in data["runs"]:
            where = "finished" if run["finished"] else f"at step {run['step']['id']}"
            output.console.print(f"run {run['run']}: {run['name']}, {where}")

    @runbook_app.command("start")
    @reports_errors
    def runbook_start(
        number: int,
        workflow: Annotated[str, typer.Argument(help="Workflow id (see `runbook list`)")],
        as_json: JsonFlag = False,
    ) -> None:
        """Start a workflow and walk it: answer each step, confirm its actions."""
        client = Client.from_env()
        run = client.request(
            "POST", f"/api/v1/incidents/{number}/runbooks", json={"workflow": workflow}
        )
        if as_json:
            output.emit_json(run)
            return
        _walk(client, number, run)

    @runbook_app.command("resume")
    @reports_errors
    def runbook_resume(number: int, run: int) -> None:
        """Go on with a run where it stands (yours or a colleague's)."""
        client = Client.from_env()
        data = client.request("GET", f"/api/v1/incidents/{number}/runbooks")
        found = next((r for r in data["runs"] if r["run"] == run), None)
        if found is None:
            output.console.print(f"incident #{number} has no run {run}")
            raise typer.Exit(1)
        _walk(client, number, found)


def _walk(client: Client, number: int, run: dict[str, Any]) -> None:
    base = f"/api/v1/incidents/{number}/runbooks/{run['run']}"
    output.console.print(f"[bold]{run['name']}[/bold] on #{number} (run {run['run']})")
    while not run["finished"]:
        step = run["step"]
        _show(step)
        for action in step["actions"]:
            if action["done"]:
                continue
            if typer.confirm(f"  Do it now: {action['does']}?", default=False):
                done = client.request(
                    "POST", f"{base}/actions", json={"step": step["id"], "index": action["index"]}
                )
                output.console.print(f"  done: {done['did']}")
        if step["runnable"] and typer.confirm(
            f"  Run `{' '.join(step['runnable'])}` on the server?", default=False
        ):
            result = client.request(
                "POST", f"{base}/command", json={"step": step["id"], "confirm": True}
            )
            output.console.print(f"  exit {result['exit_code']}:\n{result['output']}")
        run = client.request(
            "POST", f"{base}/answer", json={"step": step["id"], "answer": _answer(step)}
        )
    output.console.print(f"Finished: {len(run['answers'])} steps on the timeline of #{number}.")


def _show(step: dict[str, Any]) -> None:
    output.console.print(f"\n[bold]{step['text']}[/bold]")
    for command in step["commands"]:
        output.console.print(f"  $ {command}", markup=False, highlight=False)
    for problem in step["problems"]:
        output.console.print(f"  (cannot fill in: {problem})")


def _answer(step: dict[str, Any]) -> str | None:
    choices: list[str] = step["choices"]
    if not choices:
        word = "Finish" if step["terminal"] else "Done, next step"
        typer.prompt(f"  {word}? [enter]", default="", show_default=False)
        return None
    for index, choice in enumerate(choices, start=1):
        output.console.print(f"  {index}) {choice}", markup=False, highlight=False)
    while True:
        said = str(typer.prompt("  Answer (number)")).strip()
        if said.isdigit() and 1 <= int(said) <= len(choices):
            return choices[int(said) - 1]
        if said in choices:
            return said
        output.console.print(f"  choose 1 to {len(choices)}")
