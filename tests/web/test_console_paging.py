"""The console as a paging method, in headless Chromium against a real server: a person
whose only method is `console` sees the page (banner, browser notification), acknowledges
from it, and the outbox row counts as delivered only once the browser showed it; a page
waits for a console that opens later, and across a restart of the server."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.store.models import Message
from tests.paging._support import ALICE, add_policy, level, playbook_document, write_playbook

from .browser import SCREENSHOTS, Server, running_server
from .support import PASSWORD, make_user

pytestmark = pytest.mark.slow
SHOWN_MS = 5000  # "within seconds": the stream looks every second; slack for a shared machine
ON_CALL = "primary-engineer-1"
# Records each browser notification the page creates (the real one still goes out).
NOTIFICATIONS = """
window.__notes = [];
if (window.Notification) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) { super(title, options); window.__notes.push(title); }
  };
}
"""


@pytest.fixture
def playbook(tmp_path: Path) -> tuple[Path, str]:
    doc = playbook_document(None)
    for person in doc["people"]:
        if person["id"] == ON_CALL:
            person["notification_rules"] = [{"method": "console", "delay": "0m"}]
    service = add_policy(doc, "console-only", [level("on call", "0m", ON_CALL)])
    return write_playbook(doc, tmp_path / "playbook.yaml"), service


def sign_in(browser: Browser, server: Server, name: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=server.url, permissions=["notifications"])
    context.add_init_script(NOTIFICATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/console/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    context.errors = errors  # type: ignore[attr-defined]
    return context, page


def console_rows(rt: Runtime) -> list[Message]:
    with rt.sessions() as session:
        rows = session.scalars(select(Message).where(Message.method == "console"))
        return list(rows)


def wait_status(rt: Runtime, status: str, timeout: float = 5) -> Message:
    deadline = time.monotonic() + timeout
    while True:
        rows = console_rows(rt)
        if rows and rows[0].status == status:
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"console page is {[r.status for r in rows]}, not {status}")
        time.sleep(0.05)


def test_the_on_call_sees_the_page_and_acknowledges_it(
    browser: Browser, tmp_path: Path, playbook: tuple[Path, str]
) -> None:
    path, service = playbook
    with running_server(tmp_path / "home", playbook_path=path) as server:
        rt = server.runtime
        make_user(rt, "pat", "responder", ON_CALL)
        context, page = sign_in(browser, server, "pat")
        incident = rt.incidents.declare(Declaration("Checkout is down", "P1", service), ALICE)
        assert [r.status for r in console_rows(rt)] == ["pending"]

        banner = page.get_by_role("alert")
        expect(banner).to_contain_text("You are paged", timeout=SHOWN_MS)
        expect(banner).to_contain_text(f"#{incident.id}")
        expect(banner).to_contain_text("Checkout is down")
        row = wait_status(rt, "sent")  # confirmed by the browser after it showed the page
        assert row.sent_at is not None
        subject = f"[firebell] P1 #{incident.id}: Checkout is down"
        assert page.evaluate("window.__notes") == [subject]  # the browser notification
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console_page_banner.png"))

        banner.get_by_role("button", name="Acknowledge").click()
        expect(page).to_have_url(re.compile(rf"/console/incidents/{incident.id}"))
        expect(page.locator("#incident-ack")).to_contain_text("acknowledged by pat")
        expect(page.locator("#events")).to_contain_text("Acknowledged")

        page.goto("/console/pages")
        inbox = page.locator("#my-pages")
        expect(inbox).to_contain_text(f"#{incident.id}")
        expect(inbox).to_contain_text("shown")
        expect(inbox).to_contain_text("by pat")
        assert context.errors == []  # type: ignore[attr-defined]
        context.close()


def test_a_page_waits_for_the_console_to_open(
    browser: Browser, tmp_path: Path, playbook: tuple[Path, str]
) -> None:
    path, service = playbook
    with running_server(tmp_path / "home", playbook_path=path) as server:
        rt = server.runtime
        make_user(rt, "pat", "responder", ON_CALL)
        rt.incidents.declare(Declaration("Search is slow", "P1", service), ALICE)
        time.sleep(1.5)  # nobody's console is open: nothing delivers it
        assert [r.status for r in console_rows(rt)] == ["pending"]
        context, page = sign_in(browser, server, "pat")
        expect(page.get_by_role("alert")).to_contain_text("Search is slow", timeout=SHOWN_MS)
        wait_status(rt, "sent")
        context.close()


def test_a_page_survives_a_restart(
    browser: Browser, tmp_path: Path, playbook: tuple[Path, str]
) -> None:
    path, service = playbook
    home = tmp_path / "home"
    with running_server(home, playbook_path=path) as server:
        make_user(server.runtime, "pat", "responder", ON_CALL)
        server.runtime.incidents.declare(Declaration("Queue backlog", "P1", service), ALICE)
        assert [r.status for r in console_rows(server.runtime)] == ["pending"]
    with running_server(home, playbook_path=path) as server:  # the same database
        context, page = sign_in(browser, server, "pat")
        expect(page.get_by_role("alert")).to_contain_text("Queue backlog", timeout=SHOWN_MS)
        wait_status(server.runtime, "sent")
        context.close()


def test_the_banner_is_accessible_on_a_phone_light_and_dark(
    browser: Browser, tmp_path: Path, playbook: tuple[Path, str]
) -> None:
    path, service = playbook
    axe = Axe()
    problems: list[str] = []
    with running_server(tmp_path / "home", playbook_path=path) as server:
        rt = server.runtime
        make_user(rt, "pat", "responder", ON_CALL)
        for scheme in ("light", "dark"):
            context = browser.new_context(
                base_url=server.url,
                viewport={"width": 390, "height": 844},
                color_scheme=scheme,
                bypass_csp=True,  # lets axe's script in
            )
            page = context.new_page()
            page.goto("/console/sign-in")
            page.get_by_label("Name").fill("pat")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/console/")
            rt.incidents.declare(Declaration(f"Login fails ({scheme})", "P0", service), ALICE)
            expect(page.get_by_role("alert")).to_contain_text("Login fails", timeout=SHOWN_MS)
            page.screenshot(path=str(SCREENSHOTS / f"console_page_banner-390-{scheme}.png"))
            for v in axe.run(page).response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    problems.append(f"{scheme}: {v['id']} {[n['target'] for n in v['nodes']][:3]}")
            context.close()
    assert problems == []
