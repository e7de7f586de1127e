"""Settings from the command line and the environment, with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from firebell.channels.email import SmtpSettings
from firebell.channels.registry import ChannelSettings, channel_settings_from_env


def default_home() -> Path:
    return Path(os.environ.get("FIREBELL_HOME") or platformdirs.user_data_dir("firebell"))


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

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def resolve(
        cls,
        *,
        home: Path | None = None,
        database_url: str | None = None,
        playbook: Path | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> Settings:
        home = home or default_home()
        url = database_url or os.environ.get("FIREBELL_DATABASE_URL")
        if not url:
            url = f"sqlite:///{home / 'firebell.db'}"
        pb = playbook or (Path(p) if (p := os.environ.get("FIREBELL_PLAYBOOK")) else None)
        return cls(
            smtp=smtp_from_env(),
            channels=channel_settings_from_env(),
            slack_signing_secret=os.environ.get("FIREBELL_SLACK_SIGNING_SECRET") or None,
            bridge_base_url=os.environ.get("FIREBELL_BRIDGE_BASE_URL") or None,
            runbook_allow=frozenset(
                p.strip()
                for p in os.environ.get("FIREBELL_RUNBOOK_ALLOW", "").split(",")
                if p.strip()
            ),
            home=home,
            database_url=url,
            playbook_path=pb,
            host=host or os.environ.get("FIREBELL_HOST", "127.0.0.1"),
            port=port or int(os.environ.get("FIREBELL_PORT", "8080")),
        )


def smtp_from_env() -> SmtpSettings | None:
    """FIREBELL_SMTP_HOST turns email on; the other FIREBELL_SMTP_* refine it."""
    host = os.environ.get("FIREBELL_SMTP_HOST")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(os.environ.get("FIREBELL_SMTP_PORT", "25")),
        sender=os.environ.get("FIREBELL_SMTP_FROM", "firebell@localhost"),
        username=os.environ.get("FIREBELL_SMTP_USERNAME") or None,
        password=os.environ.get("FIREBELL_SMTP_PASSWORD") or None,
        starttls=os.environ.get("FIREBELL_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        allow_plaintext_auth=os.environ.get("FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH", "").lower()
        in ("1", "true", "yes"),
        cafile=os.environ.get("FIREBELL_SMTP_CA_FILE") or None,
    )
