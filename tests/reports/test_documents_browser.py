"""The monthly review and a post-mortem export in headless Chromium: axe-core finds no
serious or critical violations, light and dark, and nothing overflows a 390 px screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from firebell.clock import FrozenClock

pytestmark = pytest.mark.slow
H = dict[str, str]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_documents_are_accessible(
    app_client: TestClient, responder: H, clock: FrozenClock, tmp_path: Path
) -> None:
    number = app_client.post(
        "/api/v1/incidents",
        json={"title": "Slow <checkout>", "severity": "P1", "service": "platform"},
        headers=responder,
    ).json()["id"]
    clock.advance(timedelta(minutes=20))
    app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
    app_client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=responder)
    pages = {
        "review": app_client.get(
            "/api/v1/reports/monthly",
            params={"month": "2026-11", "format": "html"},
            headers=responder,
        ).text,
        "postmortem": app_client.get(
            f"/api/v1/incidents/{number}/postmortem/export",
            params={"format": "html"},
            headers=responder,
        ).text,
    }
    axe = Axe()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            for name, html in pages.items():
                path = tmp_path / f"{name}.html"
                path.write_text(html)
                for scheme, width in (("light", 1100), ("dark", 390)):
                    page = browser.new_page(
                        viewport={"width": width, "height": 900}, color_scheme=scheme
                    )
                    page.goto(path.as_uri())
                    bad = [
                        v["id"]
                        for v in axe.run(page).response["violations"]
                        if v["impact"] in ("serious", "critical")
                    ]
                    assert bad == [], (name, scheme, bad)
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                    assert overflow <= 0, (name, width, overflow)
                    page.screenshot(path=str(tmp_path / f"{name}-{scheme}.png"))
                    page.close()
        finally:
            browser.close()
