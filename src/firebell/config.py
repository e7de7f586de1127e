"""Settings from the command line and the environment, with embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from firebell.auth.oidc import OidcSettings, oidc_from_env
from firebell.channels.email import SmtpSettings
from firebell.channels.registry import ChannelSettings, channel_settings_from_env
from firebell.home import default_home
from firebell.settings_file import effective_environment

__all__ = ["Settings", "default_home", "smtp_from_env"]


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    playbook_path: Path | None
    host: str = "127.0.0.1"
    port: int = 8080
    engine_interval: float = 0.2  # seconds between engine polls when idle
    smtp: SmtpSettings | None = None  # None: the email channel is off
    run_engine: bool = True
    slack_signing_secret: str | None = None  # turns the chat command endpoints on
    bridge_base_url: str | None = None  # a Jitsi-style server: each war room gets a room
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    # Programs a runbook step may run (names or absolute paths); empty: running is off.
    runbook_allow: frozenset[str] = frozenset()
    tls_cert: Path | None = None  # both set: serve HTTPS
    tls_key: Path | None = None
    oidc: OidcSettings | None = None  # single sign-on (FIREBELL_OIDC_*); None: off

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        scheme = "https" if self.tls_cert is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    @classmethod
    def resolve(
        cls,
        *,
        home: Path | None = None,
        database_url: str | None = None,
        playbook: Path | None = None,
        host: str | None = None,
        port: int | None = None,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
    ) -> Settings:
        """Flags, else the environment, else `$FIREBELL_HOME/settings.toml`, else defaults.
        Raises SettingsFileError for an unreadable settings file."""
        home = home or default_home()
        env = effective_environment(home)
        url = database_url or env.get("FIREBELL_DATABASE_URL")
        if not url:
            url = f"sqlite:///{home / 'firebell.db'}"
        pb = playbook or (Path(p) if (p := env.get("FIREBELL_PLAYBOOK")) else None)
        cert = tls_cert or (Path(c) if (c := env.get("FIREBELL_TLS_CERT")) else None)
        key = tls_key or (Path(k) if (k := env.get("FIREBELL_TLS_KEY")) else None)
        return cls(
            smtp=smtp_from_env(env),
            channels=channel_settings_from_env(env),
            slack_signing_secret=env.get("FIREBELL_SLACK_SIGNING_SECRET") or None,
            bridge_base_url=env.get("FIREBELL_BRIDGE_BASE_URL") or None,
            runbook_allow=frozenset(
                p.strip() for p in env.get("FIREBELL_RUNBOOK_ALLOW", "").split(",") if p.strip()
            ),
            home=home,
            database_url=url,
            playbook_path=pb,
            host=host or env.get("FIREBELL_HOST", "127.0.0.1"),
            port=port or int(env.get("FIREBELL_PORT", "8080")),
            tls_cert=cert,
            tls_key=key,
            oidc=oidc_from_env(env),
        )


def smtp_from_env(environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """FIREBELL_SMTP_HOST turns email on; the other FIREBELL_SMTP_* refine it."""
    env = os.environ if environ is None else environ
    host = env.get("FIREBELL_SMTP_HOST")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(env.get("FIREBELL_SMTP_PORT", "25")),
        sender=env.get("FIREBELL_SMTP_FROM", "firebell@localhost"),
        username=env.get("FIREBELL_SMTP_USERNAME") or None,
        password=env.get("FIREBELL_SMTP_PASSWORD") or None,
        starttls=env.get("FIREBELL_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        allow_plaintext_auth=env.get("FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH", "").lower()
        in ("1", "true", "yes"),
        cafile=env.get("FIREBELL_SMTP_CA_FILE") or None,
    )
