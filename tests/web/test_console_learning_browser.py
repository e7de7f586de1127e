"""The status page admin, the post-mortem editor, action items and metrics in headless
Chromium against a real server, under the console's own Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration

from .browser import CHROMIUM, Server, running_server
from .support import PASSWORD, make_user

pytestmark = pytest.mark.slow
SCRIPT = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
FIELDS = {
    "root_cause": "a bad deployment",
    "current_action": "rolling back",
    "expected_progress": "recovery within the hour",
    "current_status": "Fix in progress",
    "responders": ["@alice"],
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        srv.runtime.status_page.snapshots.check_every = 0.0
        pb = srv.runtime.playbook.playbook
        make_user(srv.runtime, "alice", "admin", pb.people[0].id)
        yield srv


@pytest.fixture
def page(server: Server) -> Iterator[Page]:
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/console/sign-in")
        page.get_by_label("Name").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
        page.set_default_timeout(20_000)  # navigation on a loaded 2-core machine
        yield page
        browser.close()
        assert errors == []  # no console error, no CSP violation, on any page


def test_override_a_component_and_see_it_on_the_public_page(server: Server, page: Page) -> None:
    rt = server.runtime
    alice = Principal("alice", "responder")
    incident = rt.incidents.declare(Declaration("API returning 503s", "P1", service="api"), alice)
    rt.comms.set_facts(incident.id, {"impact": "failed API requests", "summary": "errors"}, alice)
    rt.comms.notify(incident.id, "initial", "customers", dict(FIELDS), alice)

    page.get_by_role("link", name="Status page", exact=True).click()
    expect(page.get_by_role("heading", name="Status page", exact=True)).to_be_visible()
    page.locator("#ov-incident").select_option(str(incident.id))
    page.locator("#ov-component").select_option("database")
    page.locator("#ov-status").select_option("major_outage")
    page.get_by_role("button", name="Set status").click()
    row = page.locator("#component-database")
    expect(row).to_contain_text("Major outage")
    expect(row).to_contain_text(f"#{incident.id}")

    page.goto("/status")
    expect(page.locator("body")).to_contain_text("Major outage")

    page.goto("/console/status")
    page.get_by_label("Title", exact=True).fill("Database upgrade")
    page.get_by_role("group", name="Components").first.get_by_label("Database").check()
    page.locator("#m-starts").fill("2031-05-01T10:00")
    page.locator("#m-ends").fill("2031-05-01T12:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator("#maintenances")).to_contain_text("Database upgrade")
    expect(page.locator("#maintenances")).to_contain_text("Scheduled")

    page.locator("#s-address").fill("ops@customer.test")
    page.get_by_role("button", name="Add subscriber").click()
    expect(page.locator("#subscribers")).to_contain_text("ops@customer.test")
    page.once("dialog", lambda d: d.accept())  # the data-confirm question
    page.get_by_role("button", name="Remove ops@customer.test").click()
    expect(page.locator("#subscribers")).not_to_contain_text("ops@customer.test")


def test_postmortem_preview_does_not_run_the_authors_script(server: Server, page: Page) -> None:
    rt = server.runtime
    alice = Principal("alice", "responder")
    incident = rt.incidents.declare(Declaration("Checkout is down", "P1"), alice)
    rt.incidents.resolve(incident.id, alice, "rolled back")  # a P1 starts its post-mortem

    page.goto(f"/console/incidents/{incident.id}")
    page.get_by_role("link", name="Post-mortem and action items").click()
    expect(page.get_by_role("heading", name=re.compile("Post-mortem"))).to_be_visible()
    box = page.locator("#section-1")
    box.fill(box.input_value() + f"\n\nWhat we saw: **bold** {SCRIPT}\n")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#pm-preview")
    expect(preview).to_contain_text("<script>window.pwned = 1</script>")
    expect(preview.locator("strong", has_text="bold")).to_be_visible()
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert preview.locator("script, img").count() == 0
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#pm-preview")).to_contain_text("window.pwned = 2")
    assert page.evaluate("typeof window.pwned") == "undefined"

    page.get_by_label("What", exact=True).fill("Add a canary stage")
    page.get_by_role("button", name="Add action item").click()
    items = page.locator("#action-items")
    expect(items).to_contain_text("Add a canary stage")
    items.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.locator("#action-items .status")).to_have_text("done")

    page.get_by_role("link", name="Action items", exact=True).click()
    expect(page.get_by_role("heading", name="Action items")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No action items")


def test_metrics_page_draws_its_charts(server: Server, page: Page) -> None:
    rt = server.runtime
    alice = Principal("alice", "responder")
    for title, severity in (("Payments failing", "P0"), ("Slow search", "P2")):
        incident = rt.incidents.declare(Declaration(title, severity, service="api"), alice)
        rt.incidents.acknowledge(incident.id, alice)
        rt.incidents.resolve(incident.id, alice, "fixed")
    page.get_by_role("link", name="Metrics", exact=True).click()
    expect(page.locator("#total")).to_have_text("2")
    charts = page.get_by_role("img")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 2
    page.get_by_role("link", name="90 days").click()
    expect(page).to_have_url(re.compile(r"days=90"))
    expect(page.locator("#total")).to_have_text("2")
