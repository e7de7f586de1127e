"""SMTP never sends a password in clear unless the settings say so explicitly."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from paging._support import free_port

from channels._support import outgoing
from firebell.channels.base import DeliveryError
from firebell.channels.email import EmailChannel, SmtpSettings
from firebell.config import smtp_from_env


class Relay:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []
        self.delivered: list[str] = []

    def authenticator(
        self, _server: Any, _session: Any, _env: Any, _mech: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    r = Relay()
    port = free_port()
    controller = Controller(
        r,
        hostname="127.0.0.1",
        port=port,
        authenticator=r.authenticator,
        auth_require_tls=False,  # a relay that would take the password in clear
    )
    controller.start()
    try:
        yield r, port
    finally:
        controller.stop()


def settings(port: int, **kw: Any) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, username="firebell", password="hunter2-secret", timeout=5, **kw
    )


def test_a_password_without_tls_is_refused(relay: tuple[Relay, int]) -> None:
    server, port = relay
    with pytest.raises(DeliveryError) as failure:
        EmailChannel(settings(port)).send(outgoing(address="oncall@example.test"))
    assert not failure.value.transient
    assert "FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH" in str(failure.value)
    assert server.logins == [] and server.delivered == []


def test_plaintext_auth_when_explicitly_allowed(relay: tuple[Relay, int]) -> None:
    server, port = relay
    EmailChannel(settings(port, allow_plaintext_auth=True)).send(
        outgoing(address="oncall@example.test")
    )
    assert server.logins == [("firebell", "hunter2-secret")]
    assert server.delivered == ["oncall@example.test"]


def test_no_password_no_tls_is_fine(relay: tuple[Relay, int]) -> None:
    server, port = relay
    plain = dataclasses.replace(settings(port), username=None, password=None)
    EmailChannel(plain).send(outgoing(address="oncall@example.test"))
    assert server.delivered == ["oncall@example.test"] and server.logins == []


def test_the_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREBELL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FIREBELL_SMTP_USERNAME", "u")
    found = smtp_from_env()
    assert found is not None and found.plaintext_auth_refused
    monkeypatch.setenv("FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH", "true")
    found = smtp_from_env()
    assert found is not None and not found.plaintext_auth_refused
