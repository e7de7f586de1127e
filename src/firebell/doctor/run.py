"""Gather the facts of an installation and run every check on them (the shell)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from firebell.doctor import checks, probes
from firebell.doctor.findings import Finding
from firebell.runtime import Runtime
from firebell.store.migrate import MIGRATIONS, describe_database_error
from firebell.store.models import Alert, Heartbeat


@dataclass(frozen=True)
class DatabaseFacts:
    reachable: bool
    detail: str
    revision: str | None
    server_time: datetime | None  # PostgreSQL's clock; None on SQLite (same machine)
    heard_from: frozenset[str]


@cache  # the migrations shipped with this process do not change while it runs (~0.1 s)
def head_revision() -> str:
    config_dir = ScriptDirectory(str(MIGRATIONS))
    return str(config_dir.get_current_head())


def database_facts(db: Engine) -> DatabaseFacts:
    name = db.dialect.name
    try:
        with db.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            server_time = None
            if name == "postgresql":
                server_time = conn.execute(text("SELECT CURRENT_TIMESTAMP")).scalar()
            heard = set(conn.scalars(select(Alert.integration).distinct()))
            heard |= set(conn.scalars(select(Heartbeat.integration)))
    except SQLAlchemyError as exc:
        return DatabaseFacts(
            False, describe_database_error(str(db.url), exc), None, None, frozenset()
        )
    shown = db.url.render_as_string(hide_password=True)
    return DatabaseFacts(True, f"{name} {shown} reachable", revision, server_time, frozenset(heard))


def static_findings(runtime: Runtime, facts: DatabaseFacts) -> list[Finding]:
    """Every check that needs no network: quick enough for `serve` to run at start."""
    playbook = runtime.playbook.playbook
    methods = set(runtime.channels)
    return [
        *checks.database(facts.reachable, facts.detail, facts.revision, head_revision()),
        *checks.channels_configured(methods, checks.uses_console(playbook, methods)),
        *checks.people_without_contact(playbook, methods),
        *checks.unreachable_levels(playbook, methods),
        *checks.console_pages(playbook, methods),
        *checks.example_contacts(playbook),
        *checks.silent_integrations(playbook, facts.heard_from),
        *checks.drill_organisers(playbook, methods),
    ]


def diagnose(runtime: Runtime, *, live: bool = True) -> list[Finding]:
    """All findings; `live` adds the channel probes (network) and the clock check."""
    facts = database_facts(runtime.db)
    findings = static_findings(runtime, facts)
    if live:
        settings = runtime.settings
        findings += checks.probe_results(probes.all_channels(settings.smtp, settings.channels))
        if settings.oidc is not None:
            issuer = settings.oidc.issuer
            findings += checks.single_sign_on(issuer, probes.oidc_issuer(issuer))
        reference = facts.server_time
        local = runtime.clock.now()
        if reference is not None and reference.tzinfo is None:
            reference = reference.replace(tzinfo=UTC)
        findings += checks.clock_skew(local, reference, "database server's clock")
    return findings
