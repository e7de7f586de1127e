"""Write the example monthly review committed under docs/examples/ (a generated month of
200 incidents, with five earlier months for the trend), and a PNG of its HTML page.

    python bench/example_report.py [--out docs/examples/monthly-review] [--png]

The PNG is rendered by headless Chromium (/usr/bin/chromium) through Playwright.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from history import generate, six_months

from firebell.auth.principal import SYSTEM
from firebell.cli.learning_commands import write_monthly
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.reports.documents import monthly_documents
from firebell.runtime import build_runtime

MONTH = datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the first working day, 09:00


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/examples/monthly-review"))
    parser.add_argument("--png", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home), database_url=f"sqlite:///{home}/firebell.db", playbook_path=None
        )
        runtime = build_runtime(settings, FrozenClock(AS_OF))
        count = generate(runtime.sessions, runtime.playbook.playbook, six_months(MONTH, 200), AS_OF)
        review = runtime.reports.monthly("2026-11", SYSTEM)
        docs = monthly_documents(review)
        data = {
            "month": "2026-11",
            "markdown": docs.markdown,
            "html": docs.html,
            "charts": docs.svgs,
        }
        written = write_monthly(data, args.out, docs.pdf())
        runtime.close()
    print(f"{count} incidents generated; wrote {', '.join(str(p) for p in written)}")
    if args.png:
        from playwright.sync_api import sync_playwright

        html = args.out / "review-2026-11.html"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            for scheme, width in (("light", 1100), ("dark", 390)):
                page = browser.new_page(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                page.goto(html.resolve().as_uri())
                shot = args.out / f"review-2026-11-{scheme}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"wrote {shot}")
            browser.close()


if __name__ == "__main__":
    main()
