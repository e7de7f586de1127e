"""`firebell token create|list|revoke`.

`create` works against the database directly (with the server stopped, too); `list` and
`revoke` are client commands that need an admin token (FIREBELL_URL, FIREBELL_TOKEN).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli import output
from firebell.cli.client import Client
from firebell.cli.incident_commands import JsonFlag, reports_errors
from firebell.cli.serve import DatabaseUrl, Home, PlaybookFile, open_runtime
from firebell.errors import DomainError

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="viewer, responder or admin")],
    name: Annotated[str, typer.Option(help="Who or what uses it")],
    expires: Annotated[
        str | None, typer.Option(help="30d, 12h, 1w from now, or an ISO time with a zone")
    ] = None,
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Create an API token directly in the database (works with the server stopped)."""
    from firebell.auth.tokens import create_token, parse_expiry
    from firebell.store.db import transaction

    runtime = open_runtime(home, database_url, playbook)
    try:
        expires_at = parse_expiry(expires, runtime.clock.now()) if expires else None
        with transaction(runtime.sessions) as session:
            row, secret = create_token(
                session, runtime.clock, name=name, role=role, expires_at=expires_at
            )
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    typer.echo(secret)
    until = f", expires {expires_at.isoformat()}" if expires_at else ""
    typer.echo(f"token #{row.id} '{name}' with role {role}{until}; it is shown only now", err=True)


@app.command("list")
@reports_errors
def token_list(as_json: JsonFlag = False) -> None:
    """Every token: state, role, prefix, created, expires, last used (admin)."""
    data: dict[str, Any] = Client.from_env().request("GET", "/api/v1/tokens")
    output.rows(
        data,
        as_json,
        "tokens",
        ("#", "Name", "Role", "State", "Prefix", "Expires", "Last used"),
        lambda t: (
            str(t["id"]),
            t["name"],
            t["role"],
            t["state"],
            t["prefix"],
            output.short_time(t["expires_at"]),
            output.short_time(t["last_used_at"]),
        ),
    )


@app.command("revoke")
@reports_errors
def token_revoke(token_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a token: its next request is refused (admin)."""
    data = Client.from_env().request("DELETE", f"/api/v1/tokens/{token_id}")
    output.say(data, as_json, f"token #{token_id} '{data['name']}' revoked")
