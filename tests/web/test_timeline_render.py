"""The timeline's fast paths: events read without the ORM equal the ORM's, on both
databases; the Python-built `<li>` escapes what people typed."""

from __future__ import annotations

from datetime import UTC, datetime

from firebell.auth.principal import Principal
from firebell.incidents.detail import events_after, load_detail
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.store.db import reading
from firebell.web.timeline_text import event_html, events_html, line

ADMIN = Principal("alice", "admin")


def test_events_read_raw_equal_the_orm_timeline(runtime: Runtime) -> None:
    incident = runtime.incidents.declare(Declaration("Checkout <b>down</b> & out", "P1"), ADMIN)
    runtime.incidents.add_note(incident.id, 'héllo <script>alert("x")</script> {}', ADMIN)
    runtime.incidents.acknowledge(incident.id, ADMIN)
    orm = runtime.incidents.timeline(incident.id, ADMIN)
    with reading(runtime.sessions) as session:
        raw = events_after(session, incident.id, 0, limit=1000)
        later = events_after(session, incident.id, orm[1].id)
    assert [(e.id, e.at, e.actor, e.kind, e.details) for e in orm] == [tuple(e) for e in raw]
    assert all(e.at.tzinfo is UTC for e in raw)
    assert [e.id for e in later] == [e.id for e in orm[2:]]
    detail = load_detail(
        runtime.incidents, runtime.command, incident.id, ADMIN, runtime.clock.now()
    )
    assert [e.id for e in detail.timeline] == [e.id for e in orm]


def test_event_html_escapes_actor_and_text() -> None:
    at = datetime(2026, 11, 30, 23, 5, 9, 120000, tzinfo=UTC)
    html = str(event_html(line(7, at, "<bob>", "note", {"text": 'a <i>"b"</i> & c'})))
    assert html == (
        '<li class="ev" id="ev-7"><time datetime="2026-11-30T23:05:09.120000+00:00">23:05:09'
        '</time> <span class="actor">&lt;bob&gt;</span> <span class="what">Note: a '
        "&lt;i&gt;&quot;b&quot;&lt;/i&gt; &amp; c</span></li>"
    )
    noisy = line(8, at, "firebell", "alert_attached", {})
    assert 'class="ev noisy" id="ev-8"' in str(events_html([noisy]))
    assert str(events_html([])) == ""
