"""`firebell serve`: API, web root and engine in one process.

Every `firebell` command loads this module, so it imports nothing heavy at the top: the
server (FastAPI, SQLAlchemy, uvicorn) is imported inside the commands that run it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from firebell.cli.options import DatabaseUrl, Home, PlaybookFile

if TYPE_CHECKING:
    from firebell.runtime import Runtime

__all__ = ["DatabaseUrl", "Home", "PlaybookFile", "open_runtime", "serve", "worker"]


def open_runtime(
    home: Path | None, database_url: str | None, playbook: Path | None, **kw: object
) -> Runtime:
    """Settings, playbook and a migrated database; any problem is one clear line on
    stderr and exit status 1, never a traceback."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from firebell.cli.playbook_commands import report
    from firebell.config import Settings
    from firebell.playbook.loader import PlaybookError
    from firebell.runtime import build_runtime
    from firebell.settings_file import SettingsFileError
    from firebell.store.migrate import describe_database_error

    try:
        settings = Settings.resolve(home=home, database_url=database_url, playbook=playbook, **kw)  # type: ignore[arg-type]
    except (SettingsFileError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        return build_runtime(settings)
    except PlaybookError as exc:
        report(exc)
        raise typer.Exit(1) from None
    except (OperationalError, DBAPIError) as exc:
        typer.echo(f"error: {describe_database_error(settings.database_url, exc)}", err=True)
        raise typer.Exit(1) from None


def first_sign_in(runtime: Runtime) -> None:
    """Print the first admin's one-time link to set a console password."""
    from firebell.web.accounts import Accounts

    accounts = Accounts(
        runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
    )
    link = accounts.setup_for_admin()
    if link is not None:
        typer.echo(f"Set the admin's console password (once, within 2 days): {link}")


def serve(
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
    host: Annotated[str | None, typer.Option(envvar="FIREBELL_HOST")] = None,
    port: Annotated[int | None, typer.Option(envvar="FIREBELL_PORT")] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(envvar="FIREBELL_TLS_CERT", help="PEM certificate (chain): serve HTTPS"),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(envvar="FIREBELL_TLS_KEY", help="PEM private key")
    ] = None,
) -> None:
    """Run firebell: HTTP API, web root and engine."""
    import gc

    import uvicorn

    from firebell.api.app import create_app
    from firebell.api.slow_clients import GuardedH11
    from firebell.auth.log_redaction import configure_logging
    from firebell.auth.tokens import ensure_admin
    from firebell.cli.client import save_credentials
    from firebell.doctor.startup import print_startup_findings
    from firebell.engine.runner import EngineThread
    from firebell.store.db import serialize, transaction
    from firebell.store.migrate import STARTUP_LOCK

    if (tls_cert is None) != (tls_key is None):
        typer.echo("error: --tls-cert and --tls-key go together", err=True)
        raise typer.Exit(2)
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            typer.echo(f"error: {path}: no such file", err=True)
            raise typer.Exit(2)
    configure_logging()  # redacted: no webhook URL or token reaches the log
    runtime = open_runtime(
        home, database_url, playbook, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key
    )
    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        serialize(session, STARTUP_LOCK)  # two first starts together make one admin
        token = ensure_admin(session, runtime.clock)
    typer.echo(f"firebell at {settings.base_url}  (database: {runtime.db.url.render_as_string()})")
    typer.echo(f"playbook {runtime.playbook.path} version {runtime.playbook.version}")
    if token is not None:
        saved = save_credentials(settings.home, settings.base_url, token)
        typer.echo("First start: created the admin user and its API token (shown once):")
        typer.echo(f"  FIREBELL_TOKEN={token}")
        typer.echo(f"  (also saved for the CLI on this machine in {saved}, mode 0600)")
        first_sign_in(runtime)
    print_startup_findings(runtime)
    engine = EngineThread(runtime)
    if engine.claim():
        engine.start()
        typer.echo(f"engine running ({runtime.engine.worker_id})")
    else:
        typer.echo("engine not started: another process runs it for this SQLite database")
    app = create_app(runtime)
    # Everything built so far lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise walk it all and stall requests.
    gc.collect()
    gc.freeze()
    # And collect young objects less often: a request allocates thousands of short-lived
    # ones (ORM state, JSON), and the default threshold (700) runs a pass every few.
    gc.set_threshold(50_000, 20, 20)
    cert = str(settings.tls_cert) if settings.tls_cert is not None else None
    key = str(settings.tls_key) if settings.tls_key is not None else None
    try:
        # GuardedH11: a 408 for request headers that do not arrive in time (slowloris).
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            http=GuardedH11,
            timeout_keep_alive=5,
            ssl_certfile=cert,
            ssl_keyfile=key,
        )
    finally:
        engine.shutdown()
        runtime.close()


def worker(
    home: Home = None,
    database_url: DatabaseUrl = None,
    playbook: PlaybookFile = None,
) -> None:
    """Run only the engine (timers and deliveries); on PostgreSQL run as many as you like."""
    import signal

    from firebell.auth.log_redaction import configure_logging
    from firebell.engine.runner import EngineThread

    configure_logging()
    runtime = open_runtime(home, database_url, playbook)
    engine = EngineThread(runtime)
    if not engine.claim():
        typer.echo("error: another process runs the engine for this SQLite database", err=True)
        raise typer.Exit(1)
    typer.echo(f"engine {runtime.engine.worker_id} running; Ctrl-C stops it")
    stop = engine.stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runtime.engine.run(stop, runtime.settings.engine_interval)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
