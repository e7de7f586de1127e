"""The review meeting's invitation arrives at a real SMTP server (aiosmtpd) with an
iCalendar part that parses; exports in Markdown, HTML and PDF (its text read back)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_token
from fastapi.testclient import TestClient
from icalendar import Calendar
from paging._support import SmtpReceiver, playbook_document, smtp_receiver, write_playbook

from firebell.api.app import create_app
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime

H = dict[str, str]


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


@pytest.fixture
def mailing(
    database_url: str, tmp_path: Path, clock: FrozenClock, smtp: SmtpReceiver
) -> Iterator[tuple[Runtime, TestClient, H]]:
    # People with addresses firebell may mail (the default playbook's are placeholders).
    playbook = write_playbook(playbook_document(None), tmp_path / "playbook.yaml")
    settings = Settings(home=tmp_path, database_url=database_url, playbook_path=playbook)
    settings = replace(settings, smtp=replace(smtp.settings, sender="oncall@example.com"))
    runtime = build_runtime(settings, clock, migrate=False)
    headers = {"Authorization": f"Bearer {make_token(runtime, 'responder', 'alice')}"}
    with TestClient(create_app(runtime)) as client:
        yield runtime, client, headers
    runtime.close()


def _resolved_p1(client: TestClient, headers: H, clock: FrozenClock) -> int:
    body = {
        "title": "Payments <slow>",
        "severity": "P1",
        "service": "platform",
        "commander": "primary-engineer-1",
    }
    number: int = client.post("/api/v1/incidents", json=body, headers=headers).json()["id"]
    client.post(
        f"/api/v1/incidents/{number}/roles",
        json={"role": "tech_lead", "person": "secondary-engineer-1"},
        headers=headers,
    )
    clock.advance(timedelta(minutes=30))
    client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=headers)
    return number


def test_meeting_invitation_is_received_with_icalendar(
    mailing: tuple[Runtime, TestClient, H], clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    runtime, client, headers = mailing
    number = _resolved_p1(client, headers, clock)
    url = f"/api/v1/incidents/{number}/postmortem/meeting"

    too_soon = client.post(url, json={"at": "2026-11-27T10:00:00Z"}, headers=headers)
    assert too_soon.status_code == 422
    assert too_soon.json()["errors"][0]["field"] == "at"

    r = client.post(url, json={}, headers=headers)
    assert r.status_code == 200, r.text
    meeting = r.json()["meeting"]
    # Resolved Thu 2026-11-26 12:30 UTC: +3 days is Sunday, so Monday 30 Nov 15:00 UTC.
    assert meeting["at"] == "2026-11-30T15:00:00+00:00"
    assert meeting["minutes"] == 60
    assert set(meeting["invitees"]) >= {"primary-engineer-1", "secondary-engineer-1", "team-lead-1"}
    for _ in range(5):
        runtime.engine.run_once()
    assert len(smtp.messages) == len(meeting["invitees"])
    mail = smtp.messages[0]
    assert mail["Subject"] == f"Post-mortem review: #{number} Payments <slow>"
    parts = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(parts[0].get_payload(decode=True))
    assert calendar["method"] == "REQUEST"
    event = next(iter(calendar.walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
    assert str(event["organizer"]) == "mailto:oncall@example.com"
    assert "Timeline Review" in str(event["description"])
    assert len(event["attendee"]) >= 1

    notes = client.put(
        url, json={"attended": ["primary-engineer-1"], "notes": "Good talk"}, headers=headers
    )
    assert notes.json()["meeting"]["attended"] == ["primary-engineer-1"]


def test_exports(mailing: tuple[Runtime, TestClient, H], clock: FrozenClock) -> None:
    _runtime, client, headers = mailing
    number = _resolved_p1(client, headers, clock)
    client.post(
        f"/api/v1/incidents/{number}/action-items",
        json={
            "category": "detect",
            "title": "Alert on pool saturation <b>now</b>",
            "owner": "primary-engineer-2",
            "due_at": "2026-12-10T00:00:00Z",
            "priority": "P1",
        },
        headers=headers,
    )
    base = f"/api/v1/incidents/{number}/postmortem/export"
    md = client.get(base, params={"format": "md"}, headers=headers)
    assert md.headers["content-type"].startswith("text/markdown")
    assert "# Post-Mortem: Payments <slow>" in md.text
    assert (
        "| detect | Alert on pool saturation <b>now</b> | @primary-engineer-2 "
        "| 2026-12-10 | P1 | open |" in md.text
    )
    assert "- [ ] Technical Lead" in md.text

    html = client.get(base, params={"format": "html"}, headers=headers).text
    assert "<h1>Post-Mortem: Payments &lt;slow&gt;</h1>" in html
    assert "<b>now</b>" not in html and "&lt;b&gt;now&lt;/b&gt;" in html  # escaped
    assert '<table tabindex="0">' in html
    assert "http://" not in html and "https://" not in html.split("</main>")[1]

    pdf = client.get(base, params={"format": "pdf"}, headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "Post-Mortem: Payments <slow>" in text
    assert "What firebell knows" in text and "Tracked in firebell" in text
    words = text.split()
    assert {"pool", "saturation", "Technical", "Lead"} <= set(words)  # table cells wrap


def pdf_text(data: bytes) -> str:
    """The PDF's text, by poppler's pdftotext (poppler-utils), else pypdf if installed."""
    tool = shutil.which("pdftotext")
    if tool:
        done = subprocess.run(
            [tool, "-layout", "-", "-"], input=data, capture_output=True, timeout=60, check=True
        )
        return done.stdout.decode()
    pypdf = pytest.importorskip("pypdf", reason="needs pdftotext (poppler-utils) or pypdf")
    import io

    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
