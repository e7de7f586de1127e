"""Drills in the console (real app, SQLite and PostgreSQL): the programme, the history with
scores, starting a drill by a plain form POST (responders only, errors next to the field),
each drill's report page and its standalone HTML; private drills for members only. The
HTML report in Chromium: axe-core finds no serious or critical violation."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, sync_playwright

from firebell.auth.principal import Principal
from firebell.auth.tokens import create_token
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.workflows import drill_report
from firebell.workflows.drills import TimelineItem, score
from firebell.workflows.runbook import Event

from .browser import CHROMIUM, SCREENSHOTS, running_server
from .support import csrf_of, make_user, sign_in

ALICE = Principal("alice", "responder")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _responder(client: TestClient, runtime: Runtime) -> str:
    make_user(runtime, "alice", "responder", "team-lead-1")
    sign_in(client, "alice")
    return csrf_of(client.get("/console/drills").text)


def test_the_page_shows_the_programme_and_a_start_form(
    app_client: TestClient, runtime: Runtime
) -> None:
    _responder(app_client, runtime)
    page = app_client.get("/console/drills")
    assert page.status_code == 200
    text = _text(page.text)
    # conftest's clock: 2026-11-26; the seed's programme starts with the Q1 failover drill
    assert "Tue 09 Feb 2027, 14:00 UTC" in text
    assert text.index("Database failover") < text.index("Security breach response")
    assert "firebell drill start database-failover --participants " in text
    assert "Organisers are reminded 1w and 1d before each drill." in text
    assert "No drill has been run yet." in text
    assert '<a href="/console/drills" aria-current="page">Drills</a>' in page.text
    # the programme's "Start it now" fills the form
    filled = app_client.get(
        "/console/drills", params={"scenario": "database-failover", "participants": "dba,cto"}
    ).text
    assert '<option value="database-failover" selected>' in filled
    assert 'value="dba" checked' in filled and 'value="cto" checked' in filled
    assert 'value="dba-backup" checked' not in filled


def test_start_a_drill_by_form_then_its_history_and_report(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _responder(app_client, runtime)
    started = app_client.post(
        "/console/drills",
        data={"csrf": token, "scenario": "database-failover", "participants": ["dba", "cto"]},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    number = int(started.headers["location"].rsplit("/", 1)[1])
    incident = runtime.incidents.get(number, ALICE)
    assert incident.drill and incident.drill_participants == ["dba", "cto"]
    runtime.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    runtime.incidents.acknowledge(number, ALICE)

    history = _text(app_client.get("/console/drills").text)
    assert f"#{number} Database failover" in history
    # acknowledged in 3 min (P1: 15m), the declarer in command at once; the rest not done
    assert "score: 2 of 5 targets met" in history
    assert "failed" in history

    report = app_client.get(f"/console/drills/{number}")
    assert report.status_code == 200
    text = _text(report.text)
    assert "Drill report: Database failover" in text
    assert "failed 2 of 5 targets met" in text
    assert "acknowledged 15m 3m yes" in text
    assert "commander assigned 15m 0m yes" in text  # the declarer took command
    assert "war room opened 15m not done no" in text
    assert "first update sent 30m not done no" in text
    assert "acknowledged 2026-11-26 12:03 UTC 3m alice" in text  # timings
    standalone = app_client.get(f"/console/drills/{number}/report.html")
    assert standalone.status_code == 200
    assert standalone.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<link" not in standalone.text and "<script" not in standalone.text
    assert "Result: failed" in _text(standalone.text)


def test_form_errors_are_shown_next_to_the_field_and_nothing_is_started(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _responder(app_client, runtime)
    nobody = app_client.post("/console/drills", data={"csrf": token, "scenario": "complete-outage"})
    assert nobody.status_code == 422
    assert 'id="participants-error"' in nobody.text
    assert '<option value="complete-outage" selected>' in nobody.text  # kept
    ghost = app_client.post(
        "/console/drills",
        data={"csrf": token, "scenario": "complete-outage", "participants": ["ghost"]},
    )
    assert ghost.status_code == 422
    assert "not in the playbook&#39;s people: ghost" in ghost.text
    unknown = app_client.post(
        "/console/drills", data={"csrf": token, "scenario": "nope", "participants": ["dba"]}
    )
    assert unknown.status_code == 422
    assert 'id="scenario-error"' in unknown.text and "unknown scenario" in unknown.text
    forged = app_client.post(
        "/console/drills", data={"csrf": "forged", "scenario": "nope", "participants": ["dba"]}
    )
    assert forged.status_code == 403
    assert runtime.drills.history(Principal("root", "admin")) == []


def test_viewers_see_drills_but_cannot_start_one(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "vic", "viewer")
    sign_in(app_client, "vic")
    page = app_client.get("/console/drills").text
    assert "Starting a drill needs the responder role" in page
    assert 'action="/console/drills"' not in page
    refused = app_client.post(
        "/console/drills",
        data={"csrf": csrf_of(page), "scenario": "complete-outage", "participants": ["dba"]},
    )
    assert refused.status_code == 403
    assert runtime.drills.history(Principal("root", "admin")) == []


def test_a_private_drill_shows_only_to_its_members(
    app_client: TestClient, runtime: Runtime
) -> None:
    secret = runtime.drills.start("security-breach", ["security-lead"], ALICE)  # private
    make_user(runtime, "vic", "viewer")
    sign_in(app_client, "vic")
    assert f"#{secret.id}" not in _text(app_client.get("/console/drills").text)
    assert app_client.get(f"/console/drills/{secret.id}").status_code == 404
    assert app_client.get(f"/console/drills/{secret.id}/report.html").status_code == 404


def test_the_api_and_the_report_escape_what_people_typed(
    app_client: TestClient, runtime: Runtime
) -> None:
    drill = runtime.drills.start("database-failover", ["dba"], ALICE)
    with transaction(runtime.sessions) as session:
        _, secret = create_token(session, runtime.clock, name="rita", role="viewer")
    headers = {"Authorization": f"Bearer {secret}"}
    html = app_client.get(
        f"/api/v1/drills/{drill.id}/report", params={"format": "html"}, headers=headers
    )
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!doctype html>")
    bad = app_client.get(
        f"/api/v1/drills/{drill.id}/report", params={"format": "pdf"}, headers=headers
    )
    assert bad.status_code == 422 and "format" in bad.text
    # A checkpoint note with markup stays text in the page.
    result = score(
        runtime.playbook.playbook,
        incident=drill.id,
        scenario="database-failover",
        severity="P1",
        participants=["dba"],
        declared_at=drill.declared_at,
        ended_at=drill.declared_at,
        events=[TimelineItem("declared", drill.declared_at, {})],
    )
    report = drill_report.build(
        result,
        title="<b>x</b>",
        scenario_name="Database failover",
        status="investigating",
        ended_at=None,
        events=[Event("checkpoint", drill.declared_at, "firebell", {"text": "<script>1</script>"})],
    )
    page = drill_report.render_html(report, drill.declared_at)
    assert "<script>1</script>" not in page and "&lt;script&gt;1&lt;/script&gt;" in page
    assert "<b>x</b>" not in page


@pytest.mark.slow
def test_the_html_report_and_the_drills_pages_pass_axe_in_chromium(tmp_path: Path) -> None:
    with running_server(tmp_path) as srv:
        rt = srv.runtime
        make_user(rt, "alice", "responder", "team-lead-1")
        drill = rt.drills.start("complete-outage", ["primary-engineer-1", "dba"], ALICE)
        rt.incidents.acknowledge(drill.id, ALICE)
        rt.incidents.assign_commander(drill.id, "primary-engineer-1", ALICE)
        rt.incidents.resolve(drill.id, ALICE, "failed over")
        with transaction(rt.sessions) as session:
            _, secret = create_token(session, rt.clock, name="rita", role="viewer")
        report = Path(tmp_path / "report.html")
        response = httpx.get(
            f"{srv.url}/api/v1/drills/{drill.id}/report",
            params={"format": "html"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        report.write_text(response.text, encoding="utf-8")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        axe = Axe()
        problems: list[str] = []
        errors: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            for scheme in ("light", "dark"):
                for width in (1280, 390):
                    context = browser.new_context(
                        viewport={"width": width, "height": 900}, color_scheme=scheme
                    )
                    page = context.new_page()
                    errors.clear()
                    page.on("console", on_console)
                    page.goto(report.as_uri())  # from a file: nothing else to load
                    assert (
                        page.get_by_role("heading", level=1)
                        .inner_text()
                        .startswith("Drill report: Complete service outage")
                    )
                    page.screenshot(
                        path=SCREENSHOTS / f"drill-report-file-{width}-{scheme}.png",
                        full_page=True,
                    )
                    for v in axe.run(page).response["violations"]:
                        if v["impact"] in ("serious", "critical"):
                            problems.append(f"{width} {scheme}: {v['id']}")
                    assert errors == []
                    context.close()
            browser.close()
        assert problems == []
