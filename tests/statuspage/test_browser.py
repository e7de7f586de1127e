"""The public page in headless Chromium (Debian's /usr/bin/chromium): screenshots at
desktop and phone width in light and dark, no JavaScript needed, keyboard focus on the
uptime bars, and axe-core with no serious or critical violation.

Screenshots go to $FIREBELL_SCREENSHOTS (a directory) when set, else to the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from paging._support import free_port
from playwright.sync_api import ConsoleMessage

from firebell.api.app import create_app
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime
from statuspage._support import H, declare, publish
from tests.conftest import START, make_token

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Runtime, str, TestClient, H]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    target = tmp_path / "firebell.db"
    shutil.copy(sqlite_template, target)
    clock = FrozenClock(START)
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{target}", playbook_path=None)
    runtime = build_runtime(settings, clock, migrate=False)
    runtime.status_page.snapshots.check_every = 0.0
    app = create_app(runtime)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    headers = {"Authorization": f"Bearer {make_token(runtime, 'admin', 'root')}"}
    try:
        with TestClient(app) as client:
            yield runtime, f"http://127.0.0.1:{port}", client, headers
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def shots_dir(tmp_path: Path) -> Path:
    where = Path(os.environ.get("FIREBELL_SCREENSHOTS") or tmp_path / "shots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def past_incident(client: TestClient, headers: H, clock: FrozenClock, days: int) -> None:
    clock.set(START - timedelta(days=days))
    number = declare(client, headers, title="Slow API responses", severity="P1", service="api")
    publish(client, headers, number)
    clock.advance(timedelta(hours=3))
    client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=headers)
    publish(client, headers, number, "resolution")
    clock.set(START)


def major_outage(client: TestClient, headers: H, clock: FrozenClock) -> None:
    clock.set(START - timedelta(minutes=40))
    number = declare(
        client,
        headers,
        title="Transactions are not being finalized",
        severity="P0",
        service="platform",
    )
    publish(client, headers, number)
    clock.set(START - timedelta(minutes=10))
    client.post(
        f"/api/v1/incidents/{number}/status", json={"status": "identified"}, headers=headers
    )
    publish(client, headers, number, "update")
    clock.set(START)


def maintenance(client: TestClient, headers: H) -> None:
    r = client.post(
        "/api/v1/maintenances",
        headers=headers,
        json={
            "title": "Database upgrade",
            "components": ["database"],
            "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=2)).isoformat(),
            "description": "Upgrading PostgreSQL; writes may be delayed for a few minutes.",
        },
    )
    assert r.status_code == 201, r.text


def _collect(errors: list[str]) -> Callable[[ConsoleMessage], None]:
    def listener(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    return listener


def capture(base: str, name: str, where: Path) -> list[dict[str, object]]:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    problems: list[dict[str, object]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            for scheme in ("light", "dark"):
                for label, width in WIDTHS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": 900},
                        color_scheme=scheme,
                        java_script_enabled=True,
                    )
                    page = context.new_page()
                    errors: list[str] = []
                    page.on("console", _collect(errors))
                    page.goto(f"{base}/status")
                    page.screenshot(
                        path=str(where / f"{name}-{label}-{scheme}.png"), full_page=True
                    )
                    assert errors == [], errors
                    # no horizontal scrolling at phone width
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                    results = Axe().run(page)
                    problems += [
                        v
                        for v in results.response["violations"]
                        if v["impact"] in ("serious", "critical")
                    ]
                    context.close()
        finally:
            browser.close()
    return problems


def test_screenshots_axe_and_no_javascript(
    live: tuple[Runtime, str, TestClient, H], tmp_path: Path
) -> None:
    runtime, base, client, headers = live
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    where = shots_dir(tmp_path)
    past_incident(client, headers, clock, days=3)
    problems = capture(base, "operational", where)

    major_outage(client, headers, clock)
    problems += capture(base, "major-outage", where)

    resolved = client.get("/api/v2/incidents/unresolved.json").json()["incidents"]
    client.post(f"/api/v1/incidents/{resolved[0]['id']}/resolve", json={}, headers=headers)
    maintenance(client, headers)
    problems += capture(base, "maintenance", where)
    assert problems == [], [(v["id"], v["help"]) for v in problems]
    for name in ("operational", "major-outage", "maintenance"):
        for label in WIDTHS:
            for scheme in ("light", "dark"):
                assert (where / f"{name}-{label}-{scheme}.png").stat().st_size > 10_000


def test_page_works_without_javascript_and_by_keyboard(
    live: tuple[Runtime, str, TestClient, H],
) -> None:
    from playwright.sync_api import sync_playwright

    runtime, base, client, headers = live
    assert isinstance(runtime.clock, FrozenClock)
    past_incident(client, headers, runtime.clock, days=2)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{base}/status")
            assert page.locator("h1").inner_text() == "All Systems Operational"
            assert page.locator("text=Slow API responses").count() >= 1
            # the day with the incident is focusable and shows its incidents on focus
            cell = page.locator("li.d[tabindex='0']").first
            cell.focus()
            assert "Slow API responses" in (cell.get_attribute("aria-label") or "")
            assert cell.locator(".tip").is_visible()
            # subscribe by keyboard alone, with JavaScript off: a plain form post
            page.locator("#sub-email").focus()
            page.keyboard.type("reader@example.com")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert "Check your inbox" in page.content()
        finally:
            browser.close()
    subscribers = client.get("/api/v1/subscribers", headers=headers).json()["subscribers"]
    assert [(s["address"], s["status"]) for s in subscribers] == [("reader@example.com", "pending")]
