"""Receivers for the first-run tests (shared with the paging and command tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.command.conftest import make_runtime, slack  # noqa: F401 - fixtures reused
from tests.paging._support import SmtpReceiver, smtp_receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


def init_flags(smtp_port: int) -> list[str]:
    """`firebell init --non-interactive` for Ada at Acme, paged by e-mail via `smtp_port`."""
    return [
        "init",
        "--non-interactive",
        "--organisation",
        "Acme Ops",
        "--name",
        "Ada Lovelace",
        "--email",
        "ada@acme.io",
        "--timezone",
        "Europe/Paris",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--smtp-from",
        "firebell@acme.io",
    ]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FIREBELL_* setting of the developer's shell leaks into a test."""
    for name in (
        "FIREBELL_HOME",
        "FIREBELL_PLAYBOOK",
        "FIREBELL_DATABASE_URL",
        "FIREBELL_SMTP_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
