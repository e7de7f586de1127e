"""Every console page in Chromium at 1280 and 390 px, light and dark: axe-core finds no
serious or critical violation, and a screenshot of each lands in build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from firebell.auth.oidc import OidcSettings
from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration
from firebell.postmortems.actions import NewItem
from firebell.setup.test_page import queue_test_page
from firebell.statuspage import maintenance as maint
from firebell.store.db import transaction

from .browser import CHROMIUM, SCREENSHOTS, Server, running_server
from .support import PASSWORD, make_user

pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Server, list[str]]]:
    # Single sign-on configured (an issuer nobody asks: pages never call it), so the sign-in
    # page is checked and photographed with its "Sign in with …" button.
    sso = OidcSettings("http://127.0.0.1:9", "firebell", "unused-secret", name="Acme SSO")
    with running_server(tmp_path, oidc=sso) as srv:
        rt = srv.runtime
        pb = rt.playbook.playbook
        make_user(rt, "alice", "admin", pb.people[0].id)
        alice = Principal("alice", "responder")
        service = pb.services[0].id
        p0 = rt.incidents.declare(
            Declaration("Payments failing in every region", "P0", service=service), alice
        )
        p1 = rt.incidents.declare(Declaration("Checkout latency above 2 s", "P1"), alice)
        rt.incidents.acknowledge(p1.id, alice)
        rt.incidents.add_note(p1.id, "Rolled back release 2026.11.3; watching", alice)
        rt.command.add_task(p1.id, pb.people[1].id, "check the replica lag", alice)
        rt.incidents.set_status(p1.id, "monitoring", alice)
        # The incident page's command parts: a decision, roles held and missing, and a
        # runbook at a step with a command to copy, one to run, and answers as buttons.
        rt.command.decide(
            p1.id, ["roll back", "fix forward"], "roll back", None, "began with the deploy", alice
        )
        rt.command.assign_role(p0.id, "tech_lead", pb.people[1].id, alice)
        rt.runbooks.start(p0.id, "high-error-rate", alice)
        for step in ("alert", "acknowledge"):
            rt.runbooks.answer(p0.id, 1, step, None, alice)
        rt.runbooks.start(p1.id, "high-error-rate", alice)
        rt.runbooks.answer(p1.id, 1, "alert", None, alice)
        done = rt.incidents.declare(Declaration("Search index stale", "P3"), alice)
        rt.incidents.resolve(done.id, alice, "reindexed")
        with transaction(rt.sessions) as session:  # something in alice's "My pages"
            console = pb.people[0]
            queue_test_page(session, rt, console, "console", f"console:{console.id}", "a11y")
        rt.postmortems.create(done.id, alice)
        rt.action_items.add(
            done.id,
            NewItem("detect", "Alert on a stale index", pb.people[1].id, rt.clock.now()),
            alice,
        )
        rt.status_page.set_component(p0.id, "database", "partial_outage", alice)
        soon = rt.clock.now() + timedelta(days=2)
        rt.status_page.maintenances.schedule(
            maint.Request(
                "Database upgrade",
                ["database"],
                soon,
                soon + timedelta(hours=2),
                "Moving to larger disks.",
                "Writes may be slow.",
                "Capacity.",
            ),
            alice,
        )
        rt.status_page.subscribers.add("email", "ops@customer.test", ["database"])
        schedule = pb.on_call.schedules[0].id
        start = rt.clock.now() + timedelta(days=1)
        rt.schedules.add_override(
            schedule, pb.people[-1].id, start, start + timedelta(hours=8), "swap", alice
        )
        pages = [
            "/console/incidents",
            f"/console/incidents/{p1.id}",
            f"/console/incidents/{p0.id}",
            f"/console/incidents/{p1.id}/comms",
            "/console/declare",
            "/console/oncall",
            "/console/schedules",
            f"/console/schedules/{schedule}",
            "/console/policies",
            "/console/services",
            "/console/integrations",
            "/console/admin",
            "/console/profile",
            "/console/pages",
            "/console/status",
            f"/console/incidents/{done.id}/postmortem",
            "/console/metrics",
            "/console/action-items",
            "/console/silences",
        ]
        drill = rt.drills.start("database-failover", [pb.people[0].id, "dba"], alice)
        rt.incidents.acknowledge(drill.id, alice)
        pages += ["/console/drills", f"/console/drills/{drill.id}"]
        yield srv, pages


def _name(path: str) -> str:
    return path.strip("/").replace("/", "_") or "root"


def test_pages_are_accessible_and_photographed(seeded: tuple[Server, list[str]]) -> None:
    server, pages = seeded
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        for scheme in ("light", "dark"):
            for width, height in ((1280, 900), (390, 844)):
                context = browser.new_context(
                    base_url=server.url,
                    viewport={"width": width, "height": height},
                    color_scheme=scheme,
                    bypass_csp=True,  # lets axe's script in; the story test runs under CSP
                )
                page = context.new_page()
                page.goto("/console/sign-in")
                page.screenshot(path=SCREENSHOTS / f"sign-in-{width}-{scheme}.png")
                page.get_by_label("Name").fill("alice")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/console/")
                for path in pages:
                    page.goto(path)
                    page.screenshot(
                        path=SCREENSHOTS / f"{_name(path)}-{width}-{scheme}.png", full_page=True
                    )
                    results = axe.run(page)
                    for v in results.response["violations"]:
                        if v["impact"] in ("serious", "critical"):
                            targets = [n["target"] for n in v["nodes"]][:3]
                            problems.append(f"{path} {width} {scheme}: {v['id']} {targets}")
                context.close()
        browser.close()
    assert problems == []
