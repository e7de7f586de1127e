"""The console as a paging method, the "My pages" inbox, "send me a test page" and "send a
test alert", through the real app on SQLite and PostgreSQL. Pages leave through real
channels to a real HTTP receiver and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.clock import FrozenClock
from firebell.doctor import checks
from firebell.engine.runner import EngineThread
from firebell.intake import test_alert
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import Incident, Message
from firebell.store.outbox import enqueue
from tests.paging._support import (
    ALICE,
    HttpReceiver,
    SmtpReceiver,
    add_policy,
    declare,
    events,
    http_receiver,
    kinds,
    level,
    make_runtime,
    playbook_document,
    smtp_receiver,
)

from .support import csrf_of, make_user, sign_in

CONSOLE_ONLY = "primary-engineer-1"  # paged only in the console
BACKUP = "primary-engineer-2"  # the next level, by webhook
CONSOLE_RULE = [{"method": "console", "delay": "0m", "urgency": "any"}]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


def _document(receiver: HttpReceiver) -> tuple[dict[str, Any], str]:
    doc = playbook_document(receiver.url)
    for person in doc["people"]:
        if person["id"] == CONSOLE_ONLY:
            person["notification_rules"] = CONSOLE_RULE
    service = add_policy(
        doc, "console-first", [level("console", "0m", CONSOLE_ONLY), level("backup", "5m", BACKUP)]
    )
    return doc, service


@pytest.fixture
def setup(
    tmp_path: Path,
    database_url: str,
    clock: FrozenClock,
    receiver: HttpReceiver,
    smtp: SmtpReceiver,
) -> Iterator[tuple[Runtime, TestClient, str]]:
    doc, service = _document(receiver)
    rt = make_runtime(tmp_path / "rt", database_url, clock, doc, smtp=smtp.settings)
    make_user(rt, "pat", "admin", CONSOLE_ONLY)
    make_user(rt, "bob", "responder", BACKUP)
    with TestClient(create_app(rt)) as client:
        yield rt, client, service
    rt.close()


def _console_rows(rt: Runtime) -> list[Message]:
    with rt.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.method == "console").order_by(Message.id))
        )


def test_a_console_page_waits_until_shown_and_escalation_goes_on(
    setup: tuple[Runtime, TestClient, str], clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt, client, service = setup
    number = declare(rt, "P1", service)
    rt.engine.run_once()  # the engine never claims a console page
    (row,) = _console_rows(rt)
    assert (row.status, row.person, row.incident_id) == ("pending", CONSOLE_ONLY, number)
    assert row.attempts == 0 and row.send_started_at is None

    # bob's console is not told about pat's page
    sign_in(client, "bob")
    assert client.get("/console/pages/waiting").json() == {"pages": []}
    client.cookies.clear()

    sign_in(client, "pat")
    waiting = client.get("/console/pages/waiting").json()["pages"]
    assert [(p["id"], p["incident"], p["severity"]) for p in waiting] == [(row.id, number, "P1")]

    # nobody shows it: the timer escalates to the backup as usual
    clock.advance(timedelta(minutes=5, seconds=1))
    rt.engine.run_once()
    receiver.wait_for(lambda hits: any(h.person == BACKUP for h in hits))
    assert _console_rows(rt)[0].status == "pending"

    # shown: without the security token refused, with it delivered, once
    token = csrf_of(client.get("/console/pages").text)
    refused = client.post(f"/console/pages/{row.id}/shown", data={})
    assert refused.status_code == 403 and _console_rows(rt)[0].status == "pending"
    shown = client.post(f"/console/pages/{row.id}/shown", data={"csrf": token})
    assert shown.status_code == 200 and shown.json() == {"delivered": True}
    again = client.post(f"/console/pages/{row.id}/shown", data={"csrf": token})
    assert again.status_code == 409
    delivered = _console_rows(rt)[0]
    assert delivered.status == "sent" and delivered.sent_at == clock.now()
    sent = events(rt, number, "page_sent")
    assert any(d.get("method") == "console" and d.get("shown") for _, d in sent)
    assert client.get("/console/pages/waiting").json() == {"pages": []}

    # the banner's Acknowledge is the incident's acknowledge form: same service, same checks
    acked = client.post(
        f"/console/incidents/{number}/acknowledge", data={"csrf": token}, follow_redirects=False
    )
    assert acked.status_code == 303
    assert "acknowledged" in kinds(rt, number)

    inbox = client.get("/console/pages").text
    assert f'id="message-{row.id}"' in inbox and "shown" in inbox and "by pat" in inbox


def test_someone_elses_page_cannot_be_marked_shown(setup: tuple[Runtime, TestClient, str]) -> None:
    rt, client, service = setup
    declare(rt, "P1", service)
    (row,) = _console_rows(rt)
    sign_in(client, "bob")
    token = csrf_of(client.get("/console/pages").text)
    answer = client.post(f"/console/pages/{row.id}/shown", data={"csrf": token})
    assert answer.status_code == 409 and _console_rows(rt)[0].status == "pending"


def test_acknowledging_elsewhere_cancels_unseen_console_pages(
    setup: tuple[Runtime, TestClient, str],
) -> None:
    rt, client, service = setup
    number = declare(rt, "P1", service)
    rt.incidents.acknowledge(number, ALICE)
    assert [r.status for r in _console_rows(rt)] == ["cancelled"]
    sign_in(client, "pat")
    assert client.get("/console/pages/waiting").json() == {"pages": []}


def test_live_stream_carries_waiting_pages(setup: tuple[Runtime, TestClient, str]) -> None:
    rt, client, service = setup
    number = declare(rt, "P0", service)
    sign_in(client, "pat")
    with client.stream("GET", "/console/pages/live") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = []
        for text in stream.iter_lines():
            lines.append(text)
            if text.startswith("data: "):
                break
    assert "event: page" in lines
    assert f'"incident": {number}' in lines[-1]


def test_live_stream_needs_sign_in(setup: tuple[Runtime, TestClient, str]) -> None:
    _, client, _ = setup
    answer = client.get(
        "/console/pages/live", headers={"accept": "text/event-stream"}, follow_redirects=False
    )
    assert answer.status_code == 401


def test_test_page_per_method(
    setup: tuple[Runtime, TestClient, str], receiver: HttpReceiver, smtp: SmtpReceiver
) -> None:
    rt, client, _ = setup
    engine = EngineThread(rt)
    engine.start()
    try:
        sign_in(client, "pat")
        profile = client.get("/console/profile").text
        token = csrf_of(profile)
        for method in ("email", "webhook", "console"):
            assert f'name="method" value="{method}"' in profile
        assert "no sms channel configured" in profile  # an address, but no Twilio here

        def send(method: str) -> str:
            answer = client.post(
                "/console/profile/test-page", data={"csrf": token, "method": method}
            )
            assert answer.status_code == 200, answer.text
            return answer.text

        shown = send("email")
        assert "Test page by <strong>email</strong>" in shown and ": sent</p>" in shown
        assert any(m["X-Test-Rcpt"] == f"{CONSOLE_ONLY}@example.test" for m in smtp.messages)
        assert "[firebell] test page" in str(smtp.messages[-1]["Subject"])

        shown = send("webhook")
        assert "Test page by <strong>webhook</strong>" in shown and ": sent</p>" in shown
        assert any(h.person == CONSOLE_ONLY and b"test page" in h.body for h in receiver.hits)

        shown = send("console")
        assert "it shows in your console" in shown
        (test_row,) = [r for r in _console_rows(rt) if r.purpose == "test"]
        assert test_row.status == "pending"
        assert client.get("/console/pages/waiting").json()["pages"][0]["purpose"] == "test"

        # three a minute: the fourth is refused with the wait
        limited = client.post("/console/profile/test-page", data={"csrf": token, "method": "email"})
        assert limited.status_code == 429 and "Too many test pages" in limited.text
    finally:
        engine.shutdown()


def test_test_page_refusals_name_the_field(setup: tuple[Runtime, TestClient, str]) -> None:
    rt, client, _ = setup
    sign_in(client, "pat")
    token = csrf_of(client.get("/console/profile").text)
    before = len(_console_rows(rt))
    for method, reason in (("pager", "must be one of"), ("sms", "no sms channel")):
        answer = client.post("/console/profile/test-page", data={"csrf": token, "method": method})
        assert answer.status_code == 422 and reason in answer.text
    refused = client.post("/console/profile/test-page", data={"method": "email"})
    assert refused.status_code == 403
    with rt.sessions() as session:
        assert session.scalars(select(Message).where(Message.purpose == "test")).all() == []
    assert len(_console_rows(rt)) == before


@pytest.mark.parametrize("fmt", test_alert.TESTABLE)
def test_test_alert_per_format_opens_an_incident(
    setup: tuple[Runtime, TestClient, str], fmt: str
) -> None:
    rt, client, _ = setup
    integration = next(i for i in rt.integrations.all() if i.spec.format == fmt)
    sign_in(client, "pat")
    token = csrf_of(client.get("/console/integrations").text)
    answer = client.post(
        f"/console/integrations/{integration.id}/test-alert",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert "outcome=opened" in location
    number = int(location.split("incident=")[1].split("#")[0])
    with rt.sessions() as session:
        incident = session.get(Incident, number)
        assert incident is not None and incident.title == test_alert.TITLE
        assert incident.service == integration.spec.service
    page = client.get(location).text
    assert f'href="/console/incidents/{number}"' in page and "Test alert accepted" in page
    # a test incident is resolved like any other
    resolved = client.post(
        f"/console/incidents/{number}/resolve", data={"csrf": token}, follow_redirects=False
    )
    assert resolved.status_code == 303 and "resolved" in kinds(rt, number)


def test_test_alert_is_for_admins(setup: tuple[Runtime, TestClient, str]) -> None:
    rt, client, _ = setup
    integration = rt.integrations.all()[0]
    sign_in(client, "bob")
    token = csrf_of(client.get("/console/profile").text)
    answer = client.post(f"/console/integrations/{integration.id}/test-alert", data={"csrf": token})
    assert answer.status_code == 403
    with rt.sessions() as session:
        assert session.scalars(select(Incident)).all() == []


def test_doctor_says_the_console_only_reaches_open_consoles(
    setup: tuple[Runtime, TestClient, str],
) -> None:
    rt, _, _ = setup
    found = checks.console_pages(rt.playbook.playbook, set(rt.channels))
    text = " ".join(f.message for f in found)
    assert "only reaches people whose console is open" in text
    assert any(f.level == "warning" and CONSOLE_ONLY in f.message for f in found)
    assert checks.uses_console(rt.playbook.playbook, set(rt.channels))
    only = checks.channels_configured({"console", "webhook"}, console_used=True)
    assert only[0].level == "warning" and "only while their console" in only[0].message
    assert checks.channels_configured({"console", "webhook"})[0].level == "error"  # unused


def test_a_notice_about_a_resolved_incident_is_not_shown(
    setup: tuple[Runtime, TestClient, str], clock: FrozenClock
) -> None:
    rt, client, service = setup
    numbers = [declare(rt, "P1", service, title=t) for t in ("open one", "resolved one")]
    rt.incidents.acknowledge(numbers[0], ALICE)
    rt.incidents.resolve(numbers[1], ALICE)
    with transaction(rt.sessions) as session:
        for number in numbers:  # an SLA notice is not cancelled by the resolution
            enqueue(
                session,
                purpose="sla",
                method="console",
                address=f"console:{CONSOLE_ONLY}",
                subject=f"[firebell] SLA #{number}",
                body="response overdue",
                dedupe_key=f"sla-test-{number}",
                now=clock.now(),
                incident=session.get(Incident, number),
                person=CONSOLE_ONLY,
            )
    sign_in(client, "pat")
    waiting = client.get("/console/pages/waiting").json()["pages"]
    assert [p["incident"] for p in waiting] == [numbers[0]]


def test_on_call_page_says_the_console_needs_an_open_console(
    setup: tuple[Runtime, TestClient, str],
) -> None:
    _, client, _ = setup
    sign_in(client, "bob")
    page = client.get("/console/oncall").text
    assert 'console <span class="hint">(only while their console is open)' in page
    profile = client.get("/console/profile").text  # bob's rules do not use it; still said
    assert "only reaches people whose firebell console is open" in profile
