"""The monthly review through the API and the CLI writer: figures match the metrics,
six months of trend, charts are well-formed SVG with accessible titles, private titles
hidden, and the PDF carries the text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from firebell.cli.learning_commands import month_bounds, write_monthly
from firebell.clock import FrozenClock
from firebell.reports.charts import Series, TargetLine, bar_chart, line_chart

H = dict[str, str]
SVG = "{http://www.w3.org/2000/svg}"


def test_charts_are_valid_accessible_svg() -> None:
    svg = bar_chart("Pages <per> person", ["a", "b & c"], [Series("pages", [3.0, 0.0])])
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Pages <per> person"  # type: ignore[union-attr]
    assert "b & c 0" in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 2
    assert float(rects[0].get("height", 0)) > 0 and float(rects[1].get("height", 1)) == 0
    line = ET.fromstring(
        line_chart(
            "MTTA",
            ["Jun", "Jul", "Aug"],
            [Series("P0", [4.0, None, 6.0])],
            "minutes",
            [TargetLine("P0", 5.0)],
        )
    )
    assert len(line.findall(f"{SVG}circle")) == 2  # a month without data has no point
    assert "target P0: 5 minutes" in (line.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_month_bounds() -> None:
    assert month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_monthly_review(
    app_client: TestClient,
    responder: H,
    admin: H,
    viewer: H,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    # Two P1s in November (one private, acknowledged late), one in October.
    clock.set(datetime(2026, 10, 20, 10, 0, tzinfo=UTC))
    app_client.post(
        "/api/v1/incidents", json={"title": "October one", "severity": "P1"}, headers=responder
    )
    clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    n1 = app_client.post(
        "/api/v1/incidents", json={"title": "Visible one", "severity": "P1"}, headers=responder
    ).json()["id"]
    n2 = app_client.post(
        "/api/v1/incidents",
        json={"title": "Hush hush", "severity": "P1", "private": True},
        headers=admin,
    ).json()["id"]
    clock.advance(timedelta(minutes=10))
    app_client.post(f"/api/v1/incidents/{n1}/acknowledge", headers=responder)
    clock.advance(timedelta(minutes=20))
    app_client.post(f"/api/v1/incidents/{n2}/acknowledge", headers=admin)
    app_client.post(f"/api/v1/incidents/{n1}/resolve", json={}, headers=responder)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    r = app_client.get("/api/v1/reports/monthly", params={"month": "2026-11"}, headers=viewer)
    assert r.status_code == 200, r.text
    data = r.json()
    md = data["markdown"]
    assert "# Monthly incident review: Nov 2026" in md
    # The viewer is no member of the private incident: it is absent, not counted.
    assert "| P1 | 1 | 100% |" in md
    assert "| P1 | 1 | 10 min | 10 min |" in md  # MTTA of the visible one only
    assert "| Jun 2026 | 0 |" in md and "| Oct 2026 | 1 |" in md and "| Nov 2026 | 1 |" in md
    assert "Hush hush" not in md and "(private)" not in md
    assert "![mtta chart](charts/mtta.svg)" in md
    assert set(data["charts"]) == {"severity", "mtta", "mttr", "sla", "oncall"}
    html = data["html"]
    # Nobody was paged: four charts (no on-call chart), each with its own ids.
    assert html.count("<svg") == 4 and "[[chart:" not in html
    assert 'aria-labelledby="chart-mtta-over-6-months-p0-p1-t' in html
    assert "<script" not in html

    admin_md = app_client.get(
        "/api/v1/reports/monthly", params={"month": "2026-11"}, headers=admin
    ).json()["markdown"]
    assert "| P1 | 2 | 100% |" in admin_md  # both November incidents are P1
    # MTTA: 10 and 30 minutes -> mean 20 min (over the 15 min target), median 20 min.
    assert "| P1 | 2 | 20 min ⚠ | 20 min |" in admin_md
    assert "| Nov 2026 | 2 |" in admin_md
    assert "Hush hush" in admin_md

    written = write_monthly(data, tmp_path / "out", None)
    assert (tmp_path / "out" / "review-2026-11.md").read_text() == md
    assert (tmp_path / "out" / "charts" / "mttr.svg").exists()
    assert len(written) == 7

    bad = app_client.get("/api/v1/reports/monthly", params={"month": "2026-13"}, headers=viewer)
    assert bad.status_code == 422
