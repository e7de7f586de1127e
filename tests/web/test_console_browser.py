"""The console in headless Chromium against a real server: the responder's story, the
refusals, live updates between two browsers. Slow: run with `-m slow` or the full suite."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from firebell.store.models import WebSession

from .browser import Server, running_server, signed_in
from .support import make_user

pytestmark = pytest.mark.slow
LIVE_MS = 2000  # the promise is < 1 s; the test allows slack for a shared CI machine


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        pb = srv.runtime.playbook.playbook
        make_user(srv.runtime, "alice", "responder", pb.people[0].id)
        make_user(srv.runtime, "bob", "responder", pb.people[1].id)
        make_user(srv.runtime, "val", "viewer")
        yield srv


def open_action(page: Page, name: str) -> None:
    page.locator("#incident-actions summary", has_text=name).click()


def test_responders_story(browser: Browser, server: Server) -> None:
    alice_ctx, alice = signed_in(browser, server, "alice")
    alice.get_by_role("link", name="Declare an incident").click()
    alice.get_by_label("Title").fill("Checkout is down")
    alice.get_by_role("radio", name=re.compile(r"\bP1\b")).check()
    alice.get_by_role("button", name="Declare").click()
    expect(alice.locator("h1")).to_contain_text("Checkout is down")
    expect(alice.locator("#incident-ack")).to_contain_text("unacknowledged")
    number = alice.url.rsplit("/", 1)[1]
    expect(alice.locator("#live-state")).to_contain_text("Live")

    # The on-call acknowledges in a second browser; the first sees it without reloading.
    bob_ctx, bob = signed_in(browser, server, "bob")
    bob.goto(f"/console/incidents/{number}")
    bob.get_by_role("button", name="Acknowledge").click()
    expect(bob.locator("#incident-ack")).to_contain_text("acknowledged by bob")
    expect(alice.locator("#incident-ack")).to_contain_text("acknowledged by bob", timeout=LIVE_MS)
    expect(alice.locator("#events")).to_contain_text("Acknowledged", timeout=LIVE_MS)

    open_action(alice, "Escalate")
    alice.get_by_role("button", name="Escalate now").click()
    expect(alice.locator("#events")).to_contain_text("bob")

    open_action(alice, "Task")
    alice.get_by_label("Who").fill("bob")
    alice.get_by_label("What to do").fill("check the database")
    alice.get_by_role("button", name="Add task").click()
    task = alice.locator(".task", has_text="check the database")
    expect(task).to_contain_text("assigned")
    expect(bob.locator("#incident-side")).to_contain_text("check the database", timeout=LIVE_MS)
    task.get_by_role("button", name=re.compile("^Done")).click()
    expect(alice.locator(".task", has_text="check the database")).to_contain_text("done")

    open_action(alice, "Resolve")
    alice.get_by_label("Summary: what fixed it").fill("rolled back the deploy")
    alice.get_by_role("button", name="Resolve", exact=True).click()
    expect(alice.locator("#incident-status")).to_have_text("resolved")
    expect(bob.locator("#incident-status")).to_have_text("resolved", timeout=LIVE_MS)
    expect(alice.locator("#events")).to_contain_text("rolled back the deploy")

    # An override changes the final schedule.
    pb = server.runtime.playbook.playbook
    schedule = pb.on_call.schedules[0]
    person = pb.people[-1]
    alice.get_by_role("link", name="Schedules").click()
    alice.get_by_role("link", name=schedule.name).click()
    start = (server.runtime.clock.now() + timedelta(days=2)).replace(minute=0, second=0)
    alice.get_by_label("Who is on call instead").select_option(person.id)
    alice.get_by_label("From (UTC)").fill(f"{start:%Y-%m-%dT%H:%M}")
    alice.get_by_label("Until (UTC)").fill(f"{start + timedelta(hours=6):%Y-%m-%dT%H:%M}")
    alice.get_by_label("Reason (optional)").fill("swap with alice")
    alice.get_by_role("button", name="Create override").click()
    expect(alice.locator("#overrides")).to_contain_text("swap with alice")
    final = alice.locator("#final tr", has_text=person.name)
    expect(final.filter(has_text="override").first).to_be_visible()

    alice.get_by_role("button", name="Sign out").click()
    expect(alice).to_have_url(re.compile(r"/console/sign-in"))
    alice.goto("/console/incidents")
    expect(alice).to_have_url(re.compile(r"/console/sign-in"))
    assert alice_ctx.errors == [], alice_ctx.errors  # type: ignore[attr-defined]
    assert bob_ctx.errors == []  # type: ignore[attr-defined]


def test_refusals_say_why(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/console/sign-in")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-message")).to_contain_text("Wrong name or password")

    # Expired session: the server's row says so.
    _, alice = signed_in(browser, server, "alice")
    with server.runtime.sessions.begin() as session:
        session.execute(
            update(WebSession).values(expires_at=server.runtime.clock.now() - timedelta(1))
        )
    alice.goto("/console/oncall")
    expect(alice.locator("#sign-in-message")).to_contain_text("session has expired")

    # Missing CSRF token: a form that lost its token is refused.
    _, alice = signed_in(browser, server, "alice")
    alice.goto("/console/declare")
    alice.locator("#main input[name=csrf]").evaluate("el => el.remove()")
    alice.get_by_label("Title").fill("no token")
    alice.get_by_role("button", name="Declare").click()
    expect(alice.get_by_role("alert")).to_contain_text("security token")

    # A viewer sees no actions, and a forged post is refused with the reason.
    _, viewer = signed_in(browser, server, "val")
    viewer.goto("/console/incidents")
    expect(viewer.get_by_role("link", name="Declare an incident")).to_have_count(0)
    viewer.goto("/console/declare")
    expect(viewer.get_by_role("alert")).to_contain_text("needs the 'responder' role")
