"""Nothing goes to addresses nobody owns: reserved names and example contacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.channels.email import SmtpSettings
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.playbook.loader import default_playbook_text
from firebell.reserved import reserved_address, undeliverable
from firebell.runtime import Runtime, build_runtime
from firebell.store.models import Message, TimelineEvent
from tests.conftest import make_token


@pytest.mark.parametrize(
    "address",
    [
        "ops@example.com",
        "Ops <ops@EXAMPLE.COM>",
        "cto@mail.example.org",
        "https://status.example.com/x",
        "slack:https://hooks.example.net/T/B",
        "webhook:https://x.invalid/hook",
        "+1-202-555-0101",
        "sms:+1 202 555 0142",
        "ntfy:https://push.example/topic",
    ],
)
def test_reserved_addresses_are_refused(address: str) -> None:
    assert reserved_address(address)
    reason = undeliverable(address)
    assert reason is not None and address in reason


@pytest.mark.parametrize(
    "address",
    [
        "ops@acme.io",
        "alice@example.test",  # a local test receiver: someone owns it
        "https://hooks.slack.com/services/T/B",
        "+1-202-555-0200",
        "+44 20 7946 0018",
        "#incident-all-hands",
        "webhook:http://127.0.0.1:9000/hook",
        "notexample.com@acme.io",
    ],
)
def test_real_addresses_pass(address: str) -> None:
    assert not reserved_address(address)
    assert undeliverable(address) is None


def test_an_example_person_is_refused_whatever_the_address() -> None:
    reason = undeliverable("alice@acme.io", example=True)
    assert reason is not None and "example" in reason


def test_the_default_playbook_names_no_real_organisation_address() -> None:
    """Every e-mail address, link and phone number of the shipped playbook's contacts,
    audiences, status page and bridge is reserved."""
    from firebell.playbook.loader import load_playbook

    pb = load_playbook(None).playbook
    addresses = [pb.organization.support_email, pb.organization.security_email]
    addresses.append(str(pb.organization.status_page_url))
    addresses.append(str(pb.war_room.bridge_url))
    for person in pb.people:
        assert person.example, person.id
        addresses += [a for a in (person.email, person.phone, person.webhook_url) if a]
    for audience in pb.communications.audiences:
        addresses += [c for c in audience.channels if "@" in c or "://" in c]
    unowned = [a for a in addresses if not reserved_address(a)]
    assert unowned == []
    assert "aurigraph.io" not in default_playbook_text()


@pytest.fixture
def mail_runtime(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    """The default playbook with e-mail configured (to a port nobody listens on: nothing
    may even try to connect)."""
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        playbook_path=None,
        smtp=SmtpSettings(host="127.0.0.1", port=9, timeout=1.0),
    )
    rt = build_runtime(settings, clock, migrate=False)
    yield rt
    rt.close()


def test_pages_and_updates_to_placeholders_are_recorded_not_sent(mail_runtime: Runtime) -> None:
    rt = mail_runtime
    headers = {"Authorization": f"Bearer {make_token(rt, 'responder', 'alice')}"}
    with TestClient(create_app(rt)) as client:
        r = client.post(
            "/api/v1/incidents",
            json={"title": "API down", "severity": "P0", "commander": "alice"},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        number = r.json()["id"]
        client.post(
            f"/api/v1/incidents/{number}/facts",
            json={"facts": {"impact": "all API calls fail", "actions": ["rollback"]}},
            headers=headers,
        )
        sent = client.post(
            f"/api/v1/incidents/{number}/notify",
            json={"template": "initial", "audience": "all"},
            headers=headers,
        )
        assert sent.status_code == 202, sent.text
    rt.engine.run_once()
    with rt.sessions() as s:
        messages = list(s.scalars(select(Message)))
        kinds = [e.kind for e in s.scalars(select(TimelineEvent))]
    emails = [m for m in messages if m.method == "email"]
    assert any(m.purpose == "page" for m in emails)
    assert any(m.address == "ops@example.com" for m in emails)
    for message in emails:
        assert message.status == "not_sent", (message.address, message.status)
        assert message.last_error and "example" in message.last_error
        assert message.attempts == 0
    assert "page_not_sent" in kinds and "message_not_sent" in kinds
    assert "page_sent" not in kinds and "page_failed" not in kinds
