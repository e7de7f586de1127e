from __future__ import annotations

from typing import Any

import pytest

from firebell.intake import (
    AlertEvent,
    Baseline,
    Branch,
    Condition,
    Outcome,
    Question,
    Signals,
    Thresholds,
    classify,
    classify_event,
    default_tree,
    extract_signals,
    parse_alertmanager,
    source_severity,
)


# Every branch of the seed's decision tree, with the branch text written to the timeline.
@pytest.mark.parametrize(
    ("signals", "severity", "branch"),
    [
        (Signals(platform_down=True, tps=1.0), "P0", "platform: platform down → P0"),
        (
            Signals(critical_feature_unavailable=True, multiple_users_affected=True),
            "P0",
            "critical feature: critical feature unavailable → users: multiple users affected → P0",
        ),
        (
            Signals(critical_feature_unavailable=True, multiple_users_affected=False),
            "P1",
            "critical feature: critical feature unavailable → users: no → P1",
        ),
        (
            Signals(critical_feature_unavailable=True),
            "P1",
            "critical feature: critical feature unavailable → users: no → P1",
        ),
        (Signals(tps=450_000), "P0", "performance: TPS 450000 < 500000 → P0"),
        (Signals(tps=650_000), "P1", "performance: TPS 650000 < 700000 → P1"),
        (Signals(latency_seconds=6.5), "P1", "performance: latency 6.5s > 5s → P1"),
        (Signals(error_rate=0.072), "P1", "performance: error rate 7.2% > 5% → P1"),
        (Signals(security="active", tps=900_000), "P0", "security: security active → P0"),
        (Signals(security="potential"), "P1", "security: security potential → P1"),
        (
            Signals(user_complaints="multiple"),
            "P1",
            "complaints: user complaints multiple → P1",
        ),
        (Signals(user_complaints="few"), "P2", "complaints: user complaints few → P2"),
        (Signals(error_rate=0.03), "P2", "impact: error rate 3% >= 1% → P2"),
        (Signals(error_rate=0.05), "P2", "impact: error rate 5% >= 1% → P2"),
        (Signals(latency_seconds=2), "P2", "impact: latency 2s > 1s → P2"),
        (
            Signals(multiple_users_affected=True),
            "P2",
            "impact: multiple users affected → P2",
        ),
        (Signals(), "P3", "impact: no → P3"),
        (
            Signals(
                platform_down=False,
                critical_feature_unavailable=False,
                multiple_users_affected=False,
                tps=800_000,
                latency_seconds=0.2,
                error_rate=0.001,
                security="none",
                user_complaints="none",
            ),
            "P3",
            "impact: no → P3",
        ),
    ],
)
def test_every_branch(signals: Signals, severity: str, branch: str) -> None:
    result = classify(signals)
    assert result.severity == severity
    assert result.branch == branch


def test_boundaries_are_strict_where_the_seed_says_so() -> None:
    assert classify(Signals(tps=500_000)).severity == "P1"  # not < 500K
    assert classify(Signals(tps=700_000)).severity == "P3"  # not < 700K
    assert classify(Signals(latency_seconds=5)).severity == "P2"  # not > 5 s, but > 1 s
    assert classify(Signals(latency_seconds=1)).severity == "P3"
    assert classify(Signals(error_rate=0.0099)).severity == "P3"


def test_questions_are_asked_in_the_seed_order() -> None:
    # Earlier questions win over later ones.
    assert classify(Signals(platform_down=True, security="potential")).severity == "P0"
    assert classify(Signals(tps=650_000, security="active")).severity == "P1"
    assert classify(Signals(security="potential", user_complaints="few")).severity == "P1"


def test_path_records_every_answer() -> None:
    result = classify(Signals(security="potential"))
    assert result.path == (
        "Is the entire platform down? no",
        "Is a critical feature completely unavailable? no",
        "Is there significant performance degradation? no",
        "Is there a security concern? yes (security potential)",
    )


def test_source_severity_raises_baseline_leaves_only() -> None:
    assert classify(Signals(), source="P1").severity == "P1"
    assert classify(Signals(), source="P1").branch == "impact: no → source severity P1 → P1"
    assert classify(Signals(), source="P3").branch == "impact: no → P3"
    assert classify(Signals(error_rate=0.02), source="P1").severity == "P1"
    assert classify(Signals(error_rate=0.02), source="P3").severity == "P2"
    # An explicit answer of the tree is not overridden by the sender's word.
    assert classify(Signals(user_complaints="few"), source="P0").severity == "P2"
    assert classify(Signals(tps=650_000), source="P0").severity == "P1"


def test_thresholds_are_overridable() -> None:
    tree = default_tree(Thresholds(tps_p0_below=100, tps_p1_below=200, error_rate_p1_above=0.2))
    assert classify(Signals(tps=150), tree=tree).severity == "P1"
    assert classify(Signals(tps=450_000), tree=tree).severity == "P3"
    assert (
        classify(Signals(error_rate=0.1), tree=tree).branch == "impact: error rate 10% >= 1% → P2"
    )


def test_a_custom_tree() -> None:
    tree = Question(
        "security",
        "Is it a breach?",
        (Branch(Condition("security", "==", "potential"), Outcome("P0")),),
        Baseline("P2"),
    )
    assert classify(Signals(security="potential"), tree=tree).severity == "P0"
    assert classify(Signals(), tree=tree).branch == "security: no → P2"
    assert classify(Signals(), tree=Outcome("P3")).branch == "P3"


@pytest.mark.parametrize(
    "args",
    [
        ("nope", "is", True),
        ("platform_down", "<", 1.0),
        ("platform_down", "is", "yes"),
        ("tps", "==", 1.0),
        ("tps", "<", "500k"),
        ("tps", "<", True),
        ("security", "==", "maybe"),
        ("security", "is", True),
    ],
)
def test_bad_tests_are_refused(args: Any) -> None:
    with pytest.raises(ValueError):
        Condition(*args)


def test_not_tests_describe_themselves() -> None:
    tree = Question(
        "q", "?", (Branch(Condition("platform_down", "is", False), Outcome("P2")),), Outcome("P3")
    )
    assert classify(Signals(platform_down=False), tree=tree).branch == "q: not platform down → P2"
    assert classify(Signals(), tree=tree).severity == "P3"
    le = Question("q", "?", (Branch(Condition("tps", "<=", 10), Outcome("P1")),), Outcome("P3"))
    assert classify(Signals(tps=10), tree=le).branch == "q: TPS 10 <= 10 → P1"
    assert classify(Signals(tps=1.5e20), tree=le).severity == "P3"


# Source severity mapping (documented in classify's docstring).
@pytest.mark.parametrize(
    ("fmt", "hint", "expected"),
    [
        ("alertmanager", "critical", "P1"),
        ("alertmanager", "CRITICAL", "P1"),
        ("alertmanager", "high", "P1"),
        ("pagerduty", "error", "P2"),
        ("pagerduty", "warning", "P3"),
        ("pagerduty", "info", "P3"),
        ("grafana", "low", "P3"),
        ("alertmanager", "P0", "P0"),
        ("generic", "p2", "P2"),
        ("opsgenie", "P1", "P1"),
        ("opsgenie", "P2", "P1"),
        ("opsgenie", "P3", "P2"),
        ("opsgenie", "P4", "P3"),
        ("opsgenie", "P5", "P3"),
        ("alertmanager", "page", None),
        ("alertmanager", None, None),
        ("opsgenie", "critical", None),
    ],
)
def test_source_severity(fmt: str, hint: str | None, expected: str | None) -> None:
    assert source_severity(fmt, hint) == expected


def test_extract_signals_from_labels_and_annotations() -> None:
    extracted = extract_signals(
        {
            "platform_down": "false",
            "critical_feature_unavailable": "YES",
            "multiple_users_affected": "0",
            "tps": "450k",
            "error_rate": "7.2%",
            "security": "Potential",
            "unrelated": "x",
        },
        {"latency_seconds": "250ms", "tps": "1", "user_complaints": "few"},
    )
    assert extracted.signals == Signals(
        platform_down=False,
        critical_feature_unavailable=True,
        multiple_users_affected=False,
        tps=450_000,
        latency_seconds=0.25,
        error_rate=pytest.approx(0.072),  # type: ignore[arg-type]
        security="potential",
        user_complaints="few",
    )
    assert extracted.ignored == ()


@pytest.mark.parametrize(
    ("labels", "signals"),
    [
        ({"tps": "1.2m"}, Signals(tps=1_200_000)),
        ({"tps": "1200"}, Signals(tps=1200)),
        ({"latency_seconds": "6s"}, Signals(latency_seconds=6)),
        ({"latency_seconds": "6"}, Signals(latency_seconds=6)),
        ({"error_rate": "0.07"}, Signals(error_rate=0.07)),
        ({"error_rate": " "}, Signals()),
    ],
)
def test_extract_signal_forms(labels: dict[str, str], signals: Signals) -> None:
    assert extract_signals(labels).signals == signals


@pytest.mark.parametrize(
    ("labels", "name", "reason"),
    [
        ({"platform_down": "maybe"}, "platform_down", "must be true or false"),
        ({"security": "high"}, "security", "must be one of none, potential, active"),
        ({"user_complaints": "lots"}, "user_complaints", "must be one of none, few, multiple"),
        ({"tps": "fast"}, "tps", "must be a number"),
        ({"tps": "-1"}, "tps", "finite number >= 0"),
        ({"tps": "nan"}, "tps", "finite number >= 0"),
        ({"latency_seconds": "infs"}, "latency_seconds", "finite"),
        ({"error_rate": "7.2"}, "error_rate", "write 7.2% for a percentage"),
        ({"error_rate": "x%"}, "error_rate", "must be a number"),
    ],
)
def test_unreadable_signals_are_ignored_and_reported(
    labels: dict[str, str], name: str, reason: str
) -> None:
    extracted = extract_signals(labels)
    assert extracted.signals == Signals()
    ((field, why),) = extracted.ignored
    assert field == name
    assert reason in why


def test_classify_event_uses_labels_annotations_and_hint(am: Any) -> None:
    group = parse_alertmanager(am("webhook-firing.json"))
    alert = group.alerts[0]
    # The capture carries no signals; its severity=critical label maps to P1.
    assert classify_event(alert).severity == "P1"
    assert classify_event(alert).branch == "impact: no → source severity P1 → P1"
    with_signal = AlertEvent(
        action="trigger",
        dedup_key="k",
        summary="s",
        source="s",
        format="alertmanager",
        severity_hint="warning",
        labels={"tps": "420000"},
        details={"annotations": {"security": "active"}},
    )
    assert classify_event(with_signal).branch == "performance: TPS 420000 < 500000 → P0"
    odd_details = AlertEvent("trigger", "k", "s", "s", "generic", details={"annotations": "x"})
    assert classify_event(odd_details).severity == "P3"
