"""The incident page's command parts in headless Chromium against a real server:
recording a decision, assigning a role, walking the seed's high-error-rate runbook to
its end with every answer on the timeline, the Copy button, a refused Run; the
incidents list updating live without leaking private incidents; the doctor for admins."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration

from .browser import Server, running_server, signed_in
from .support import make_user

pytestmark = pytest.mark.slow
LIVE_MS = (
    3000  # live, without a reload; the < 1 s promise is measured by bench/console_live_list.py
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as srv:
        pb = srv.runtime.playbook.playbook
        make_user(srv.runtime, "alice", "responder", pb.people[0].id)
        make_user(srv.runtime, "bob", "responder", pb.people[1].id)
        make_user(srv.runtime, "root", "admin")
        yield srv


def test_record_a_decision_and_assign_a_role(browser: Browser, server: Server) -> None:
    rt = server.runtime
    pb = rt.playbook.playbook
    number = rt.incidents.declare(
        Declaration("Checkout errors", "P1"), Principal("alice", "responder")
    ).id
    alice_ctx, alice = signed_in(browser, server, "alice")
    bob_ctx, bob = signed_in(browser, server, "bob")
    bob.goto(f"/console/incidents/{number}")
    alice.goto(f"/console/incidents/{number}")
    expect(alice.locator("#incident-header")).to_contain_text("Technical Lead")

    alice.get_by_text("Record a decision").click()
    alice.get_by_label("What was decided").fill("Roll back release 2026.11.3")
    alice.get_by_label("Other options considered (one a line)").fill("Fix forward")
    alice.get_by_label("Why").fill("errors began with the deploy")
    alice.get_by_label("Decided by").fill(pb.people[0].id)
    alice.get_by_role("button", name="Record decision").click()
    decision = alice.locator("#decisions .decision").first
    expect(decision).to_contain_text("Roll back release 2026.11.3")
    expect(decision).to_contain_text("Why: errors began with the deploy")
    expect(decision).to_contain_text(pb.people[0].id)
    expect(alice.locator("#events")).to_contain_text("Decision by")
    expect(bob.locator("#decisions")).to_contain_text("Roll back release", timeout=LIVE_MS)

    alice.get_by_text("Assign a role").click()
    alice.get_by_label("Role", exact=True).select_option("tech_lead")
    alice.get_by_label("Person", exact=True).select_option(pb.people[1].id)
    alice.get_by_role("button", name="Assign role").click()
    expect(alice.locator("#role-tech_lead")).to_contain_text(pb.people[1].id)
    expect(alice.locator("#incident-header")).not_to_contain_text("Technical Lead")
    expect(bob.locator("#role-tech_lead")).to_contain_text(pb.people[1].id, timeout=LIVE_MS)
    alice.locator("#role-tech_lead").get_by_role("button", name=re.compile("^Release")).click()
    expect(alice.locator("#role-tech_lead")).to_contain_text("missing")
    assert alice_ctx.errors == [] and bob_ctx.errors == []  # type: ignore[attr-defined]


WALK = [  # (step text shown, the button to press)
    ("Alert: Error Rate > 1% for 5 min", "Done: next step"),
    ("Acknowledge Alert (P1)", "Done: next step"),
    ("Check Logs (last 15 min)", "recent deployments"),
    ("Check Recent Deployments", "Done: next step"),
    ("Deployment < 1 hour ago?", "yes"),
    ("Rollback Deployment", "Done: next step"),
    ("Apply Fix", "Done: next step"),
    ("Monitor for 30 minutes", "Done: next step"),
    ("Error Rate Normal?", "yes"),
    ("Resolved - Close Incident", "Finish the runbook"),
]


def test_walk_the_high_error_rate_runbook_to_its_end(browser: Browser, server: Server) -> None:
    number = server.runtime.incidents.declare(
        Declaration("Error rate at 4%", "P1"), Principal("alice", "responder")
    ).id
    alice_ctx, alice = signed_in(browser, server, "alice")
    alice_ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    bob_ctx, bob = signed_in(browser, server, "bob")
    alice.goto(f"/console/incidents/{number}")
    bob.goto(f"/console/incidents/{number}")
    alice.get_by_label("Start a runbook").select_option("high-error-rate")
    alice.get_by_role("button", name="Start", exact=True).click()
    panel = alice.locator("#runbook")
    for shown, press in WALK:
        expect(panel.locator(".step-text")).to_contain_text(shown)
        if shown.startswith("Check Logs"):
            command = panel.get_by_label("Command 1 for this step")
            expect(command).to_have_value(
                "kubectl logs -n aurigraph-production deployment/aurigraph-v11 --since=15m"
                " | grep -i error"
            )
            copy = panel.locator('button[data-copy="rb1-cmd-1"]')
            expect(copy).to_have_accessible_name("Copy command 1")
            copy.click()
            expect(copy).to_contain_text("Copied")
            copied = alice.evaluate("navigator.clipboard.readText()")
            assert copied.startswith("kubectl logs -n aurigraph-production")
            # The playbook allows running this step's command; this server does not.
            panel.get_by_text("Run this step's command").click()
            panel.get_by_label("I confirm: run this command now").check()
            panel.get_by_role("button", name="Run command").click()
            expect(alice.locator("#action-error")).to_contain_text(
                "running runbook commands is off (set FIREBELL_RUNBOOK_ALLOW)"
            )
            # Another responder sees where the run is, without reloading.
            expect(bob.locator("#runbook .step-text")).to_contain_text("Check Logs")
        elif shown.startswith("Check Recent"):
            expect(panel.get_by_text("Run this step's command")).to_have_count(0)
        panel.get_by_role("button", name=press, exact=True).click()
    expect(panel).to_contain_text("High Error Rate: finished")
    events = alice.locator("#events")
    expect(events).to_contain_text("Runbook 1 started: High Error Rate")
    for shown, press in WALK:
        answer = "done" if press in ("Done: next step", "Finish the runbook") else press
        expect(events).to_contain_text(f"· {shown}")
        expect(events.locator(".ev", has_text=f"· {shown}").first).to_contain_text(f"→ {answer}")
    expect(events).to_contain_text("Runbook 1 finished")
    expect(events).not_to_contain_text("ran kubectl")
    errors = [e for e in alice_ctx.errors if "403" not in e]  # type: ignore[attr-defined]
    assert errors == [] and bob_ctx.errors == []  # type: ignore[attr-defined]


def test_the_incidents_list_is_live_and_keeps_private_incidents_private(
    browser: Browser, server: Server
) -> None:
    rt = server.runtime
    alice_ctx, alice = signed_in(browser, server, "alice")
    bob_ctx, bob = signed_in(browser, server, "bob")
    root_ctx, root = signed_in(browser, server, "root")
    for page in (alice, bob, root):
        expect(page.locator("#list-live-state")).to_contain_text("Live")

    # alice declares in her browser; bob's list shows it within a second.
    alice.goto("/console/declare")
    alice.get_by_label("Title").fill("Checkout is down")
    alice.get_by_role("radio", name=re.compile(r"\bP1\b")).check()
    alice.get_by_role("button", name="Declare").click()
    expect(alice.locator("h1")).to_contain_text("Checkout is down")
    expect(bob.locator("#incident-list")).to_contain_text("Checkout is down", timeout=LIVE_MS)
    number = int(alice.url.rsplit("/", 1)[1])
    # A change shows too: the acknowledgement.
    rt.incidents.acknowledge(number, Principal("alice", "responder"))
    expect(bob.locator("#incident-list")).to_contain_text("ack: alice", timeout=LIVE_MS)

    # A private incident: the admin sees it arrive; bob gets nothing, not even a signal.
    before = bob.locator("#list-live-state").inner_text()
    rt.incidents.declare(
        Declaration("Leaked signing keys", "P0", private=True), Principal("sec", "responder")
    )
    expect(root.locator("#incident-list")).to_contain_text("Leaked signing keys", timeout=LIVE_MS)
    time.sleep(1.0)
    assert bob.locator("#list-live-state").inner_text() == before
    assert "Leaked signing keys" not in bob.content()
    rt.incidents.add_note(number, "rolled back", Principal("alice", "responder"))
    rt.incidents.declare(Declaration("Search slow", "P3"), Principal("alice", "responder"))
    expect(bob.locator("#incident-list")).to_contain_text("Search slow", timeout=LIVE_MS)
    assert "Leaked signing keys" not in bob.content()
    for ctx in (alice_ctx, bob_ctx, root_ctx):
        assert ctx.errors == []  # type: ignore[attr-defined]
