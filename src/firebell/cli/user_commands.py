"""`firebell user add|list|disable|reset`: console accounts, straight in the database
(works with the server stopped, like `firebell token create`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from firebell.cli import output
from firebell.cli.serve import DatabaseUrl, Home, PlaybookFile, open_runtime
from firebell.errors import DomainError

if TYPE_CHECKING:  # the console's accounts use the database: imported when a command runs
    from firebell.web.accounts import Accounts

app = typer.Typer(help="Console users: sign-in accounts linked to playbook people.")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
T = TypeVar("T")


@contextmanager
def _accounts(home: Home, database_url: DatabaseUrl, playbook: PlaybookFile) -> Iterator[Accounts]:
    from firebell.web.accounts import Accounts

    runtime = open_runtime(home, database_url, playbook)
    try:
        yield Accounts(
            runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
        )
    finally:
        runtime.close()


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


@app.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help="viewer, responder or admin")] = "responder",
    person: Annotated[str | None, typer.Option(help="The playbook person this user is")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    as_json: JsonFlag = False,
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Add a user; prints a one-time link to set the password."""
    with _accounts(home, database_url, playbook) as accounts:
        user, link = _run(lambda: accounts.add(name, role, person, email))
    output.say(
        {"user": asdict(user), "set_password_link": link},
        as_json,
        f"user '{user.name}' ({user.role}) added. Send them this one-time link to set a "
        f"password:\n{link}",
    )


@app.command("list")
def list_users(
    as_json: JsonFlag = False,
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """List users."""
    with _accounts(home, database_url, playbook) as accounts:
        users = accounts.list()
    output.rows(
        {"users": [asdict(u) for u in users]},
        as_json,
        "users",
        ("Name", "Role", "Person", "Password", "State"),
        lambda u: (
            u["name"],
            u["role"],
            u["person"] or "-",
            "set" if u["has_password"] else "not set",
            "disabled" if u["disabled"] else "active",
        ),
    )


@app.command("disable")
def disable(
    name: str,
    as_json: JsonFlag = False,
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Disable a user and end their console sessions."""
    with _accounts(home, database_url, playbook) as accounts:
        user = _run(lambda: accounts.disable(name))
    output.say(asdict(user), as_json, f"user '{name}' disabled; their sessions are ended")


@app.command("reset")
def reset(
    name: str,
    as_json: JsonFlag = False,
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Forget a user's password and print a new one-time link to set it."""
    with _accounts(home, database_url, playbook) as accounts:
        link = _run(lambda: accounts.reset(name))
    output.say(
        {"user": name, "set_password_link": link},
        as_json,
        f"password of '{name}' cleared and sessions ended. One-time link:\n{link}",
    )
