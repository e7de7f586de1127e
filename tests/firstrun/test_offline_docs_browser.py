"""/docs in headless Chromium: it renders, and every request goes to firebell itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from firebell.api.app import create_app
from firebell.runtime import Runtime
from tests.paging._support import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def live_url(runtime: Runtime) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_docs_render_offline(live_url: str, tmp_path: Path) -> None:
    page, ready = "/docs", ".swagger-ui .info .title"
    from playwright.sync_api import sync_playwright

    hosts: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            context = browser.new_context()
            context.on("request", lambda request: hosts.append(request.url))
            tab = context.new_page()
            tab.goto(live_url + page)
            tab.wait_for_selector(ready, timeout=20_000)
            assert "firebell" in tab.inner_text(ready)
            tab.wait_for_selector(".opblock", timeout=20_000)  # the operations rendered
            tab.screenshot(path=str(tmp_path / f"{page.strip('/')}.png"))
        finally:
            browser.close()
    own = urlsplit(live_url).netloc
    others = [
        u for u in hosts if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != own
    ]
    assert others == []
    assert len(hosts) >= 3
