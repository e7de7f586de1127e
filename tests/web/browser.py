"""A real firebell server on loopback and headless Chromium, for the console's browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from firebell.api.app import create_app
from firebell.auth.oidc import OidcSettings
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime

from .support import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@dataclass
class Server:
    url: str
    runtime: Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    home: Path,
    database_url: str | None = None,
    playbook_path: Path | None = None,
    oidc: OidcSettings | None = None,
) -> Iterator[Server]:
    port = free_port()
    settings = Settings(
        home=home,
        database_url=database_url or f"sqlite:///{home / 'firebell.db'}",
        playbook_path=playbook_path,
        port=port,
        oidc=oidc,
    )
    runtime = build_runtime(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            # Live streams stay open until the server stops: do not wait 10 s for them.
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a downloaded browser)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def signed_in(browser: Browser, server: Server, name: str) -> tuple[BrowserContext, Page]:
    """A new browser context signed in as `name` through the sign-in form; the page's
    console errors and uncaught exceptions are collected in `context.errors`."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    page.set_default_timeout(20_000)  # navigation on a loaded 2-core machine
    context.errors = errors  # type: ignore[attr-defined]
    return context, page
