"""Component status, indicator and uptime rules (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.playbook.loader import load_playbook
from firebell.statuspage import rules
from firebell.statuspage.rules import PublicIncident, Update, Window
from firebell.statuspage.schema import StatusPage

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PAGE: StatusPage = load_playbook(None).playbook.status_page


def incident(
    service: str | None = "api",
    impact: str = "major",
    status: str = "investigating",
    started: datetime = NOW - timedelta(hours=1),
    resolved: datetime | None = None,
    overrides: tuple[tuple[str, str], ...] = (),
    number: int = 1,
) -> PublicIncident:
    return PublicIncident(
        id=number,
        name=f"incident {number}",
        service=service,
        impact=impact,  # type: ignore[arg-type]
        status=status,
        started_at=started,
        created_at=started,
        updated_at=started,
        monitoring_at=None,
        resolved_at=resolved,
        updates=(Update(number, status, "text", started),),
        overrides=overrides,  # type: ignore[arg-type]
    )


def window(status: str, components: tuple[str, ...] = ("database",)) -> Window:
    return Window(1, "upgrade", status, components, NOW, NOW + timedelta(hours=2), NOW, NOW, ())


@pytest.mark.parametrize(
    ("impact", "expected"),
    [
        ("critical", "major_outage"),
        ("major", "partial_outage"),
        ("minor", "degraded_performance"),
        ("none", "operational"),
    ],
)
def test_impact_sets_the_components_of_the_service(impact: str, expected: str) -> None:
    statuses = rules.component_statuses(PAGE, [incident(impact=impact)], [])
    assert statuses["api-gateway"] == expected
    assert statuses["database"] == "operational"  # not tied to the api service


def test_platform_incident_touches_every_component_tied_to_it() -> None:
    statuses = rules.component_statuses(PAGE, [incident(service="platform", impact="critical")], [])
    assert {k for k, v in statuses.items() if v == "major_outage"} == {
        "api-gateway",
        "consensus",
        "database",
        "web-portal",
    }
    assert statuses["cross-chain-bridge"] == "operational"


def test_override_wins_and_operational_removes_a_component() -> None:
    item = incident(
        overrides=(("api-gateway", "major_outage"), ("database", "degraded_performance"))
    )
    statuses = rules.component_statuses(PAGE, [item], [])
    assert statuses["api-gateway"] == "major_outage"
    assert statuses["database"] == "degraded_performance"
    cleared = incident(overrides=(("api-gateway", "operational"),))
    assert rules.component_statuses(PAGE, [cleared], [])["api-gateway"] == "operational"


def test_resolved_incidents_leave_components_operational() -> None:
    done = incident(status="resolved", resolved=NOW - timedelta(minutes=5))
    statuses = rules.component_statuses(PAGE, [done], [])
    assert set(statuses.values()) == {"operational"}
    assert rules.indicator(statuses, [done]) == ("none", "All Systems Operational")


def test_worst_of_several_incidents_and_maintenance() -> None:
    items = [incident(impact="minor", number=1), incident(impact="critical", number=2)]
    statuses = rules.component_statuses(PAGE, items, [window("in_progress", ("api-gateway",))])
    assert statuses["api-gateway"] == "major_outage"  # an outage beats maintenance
    only_maint = rules.component_statuses(PAGE, [], [window("in_progress")])
    assert only_maint["database"] == "under_maintenance"
    assert rules.indicator(only_maint, []) == ("none", "Service Under Maintenance")
    scheduled = rules.component_statuses(PAGE, [], [window("scheduled")])
    assert scheduled["database"] == "operational"


@pytest.mark.parametrize(
    ("impact", "indicator", "words"),
    [
        ("minor", "minor", "Minor Service Outage"),
        ("major", "major", "Partial System Outage"),
        ("critical", "critical", "Major Service Outage"),
    ],
)
def test_indicator_from_the_worst(impact: str, indicator: str, words: str) -> None:
    items = [incident(impact=impact)]
    statuses = rules.component_statuses(PAGE, items, [])
    assert rules.indicator(statuses, items) == (indicator, words)


def test_indicator_counts_an_open_incident_that_touches_no_component() -> None:
    items = [incident(service="infrastructure", impact="critical")]
    statuses = rules.component_statuses(PAGE, items, [])
    assert set(statuses.values()) == {"operational"}
    assert rules.indicator(statuses, items)[0] == "critical"


def test_uptime_weighs_major_fully_and_partial_at_30_percent() -> None:
    # 2 h major outage two days ago, 10 h partial outage yesterday
    two_days = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    major = incident(
        impact="critical", started=two_days, resolved=two_days + timedelta(hours=2), number=1
    )
    yesterday = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    partial = incident(
        impact="major", started=yesterday, resolved=yesterday + timedelta(hours=10), number=2
    )
    up = rules.uptime("api-gateway", PAGE, [major, partial], NOW, 90)
    assert len(up.days) == 90 and up.days[-1].day == NOW.date()
    by_day = {d.day.isoformat(): d for d in up.days}
    assert by_day["2026-11-24"].status == "major_outage"
    assert by_day["2026-11-24"].down_seconds == 2 * 3600
    assert by_day["2026-11-24"].incidents == ((1, "incident 1"),)
    assert by_day["2026-11-25"].status == "partial_outage"
    assert by_day["2026-11-25"].down_seconds == pytest.approx(0.3 * 10 * 3600)
    elapsed = 89 * 86400 + 12 * 3600
    expected = 100 * (1 - (2 * 3600 + 0.3 * 36000) / elapsed)
    assert up.percent == round(expected, 2)
    # another component saw nothing
    assert rules.uptime("database", PAGE, [major, partial], NOW, 90).percent == 100.0


def test_uptime_splits_an_incident_across_midnight_and_counts_open_ones_to_now() -> None:
    started = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    open_one = incident(impact="critical", started=started)
    up = rules.uptime("api-gateway", PAGE, [open_one], NOW, 7)
    by_day = {d.day.isoformat(): d.down_seconds for d in up.days}
    assert by_day["2026-11-25"] == 2 * 3600
    assert by_day["2026-11-26"] == 12 * 3600  # to now, not to the end of the day


def test_degraded_performance_counts_as_up() -> None:
    slow = incident(impact="minor", started=NOW - timedelta(hours=5), resolved=NOW)
    up = rules.uptime("api-gateway", PAGE, [slow], NOW, 7)
    assert up.percent == 100.0
    assert up.days[-1].status == "degraded_performance"
