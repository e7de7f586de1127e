"""`firebell playbook test` and `firebell simulate`: assertions about the process itself."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.playbook.assertions import load_tests
from firebell.playbook.loader import PlaybookError, default_playbook_text, parse_playbook
from firebell.playbook.prove import run_tests
from firebell.playbook.simulation import escalation_run, simulate_alert

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"
runner = CliRunner()


def _playbook_with(tmp_path: Path, old: str, new: str) -> Path:
    text = default_playbook_text()
    assert old in text
    path = tmp_path / "mine.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_default_playbook_passes_its_own_tests() -> None:
    result = runner.invoke(app, ["playbook", "test"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    count = len(load_tests().tests)
    assert last == f"{count} passed, 0 failed"


def test_a_changed_delay_fails_with_a_readable_difference(tmp_path: Path) -> None:
    # The team lead is reached 10 minutes after the secondary; make it 20.
    mine = _playbook_with(
        tmp_path, "        delay: 10m      # T+15m", "        delay: 20m      # T+25m"
    )
    junit = tmp_path / "results.xml"
    result = runner.invoke(
        app, ["playbook", "test", "--playbook", str(mine), "--junit", str(junit)]
    )
    assert result.exit_code == 1
    assert "FAIL  escalation a P0 pages primary and secondary at once" in result.output
    assert "- +15m level 3: team-lead-2" in result.output
    assert "+ +25m level 3: team-lead-2" in result.output
    suite = ET.fromstring(junit.read_bytes())
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    # Only the matrix changed: the security policy keeps its own delays.
    assert failed == [
        "a P0 pages primary and secondary at once, then the team lead, VP and CTO on the "
        "matrix clock"
    ]
    assert suite.get("failures") == "1"


def test_a_changed_threshold_fails_the_decision_tree_test(tmp_path: Path) -> None:
    playbook = parse_playbook(default_playbook_text()).playbook
    tests = load_tests()
    before = {r.name: r.passed for r in run_tests(playbook, tests)}
    assert before["TPS under 500K is a P0 by the tree's TPS branch"]
    changed = tests.model_copy(
        update={
            "tests": [
                c.model_copy(update={"expect": c.expect.model_copy(update={"severity": "P1"})})
                if c.name.startswith("TPS under 500K")
                else c
                for c in tests.tests
            ]
        }
    )
    after = {r.name: r for r in run_tests(playbook, changed)}
    result = after["TPS under 500K is a P0 by the tree's TPS branch"]
    assert not result.passed
    assert result.differences == (
        "alert: severity expected P1, got P0 "
        "(decision tree: performance: TPS 450000 < 500000 → P0)",
    )


def test_template_and_handoff_cases_can_fail(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        """
tests:
  - name: wrong text
    template:
      family: initial
      variant: internal
      commander: someone
      facts: {impact: x, actions: y, eta: z}
    expect: {contains: ["no such words"]}
  - name: wrong hour
    handoff: {schedule: aurigraph-primary, on: 2027-03-15, timezone: America/New_York}
    expect: {handoffs: [{at: "08:00"}]}
  - name: unknown integration
    classify: {integration: nope, labels: {a: b}}
    expect: {severity: P1}
""",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["playbook", "test", str(cases), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    by_name = {r["name"]: r for r in data["results"]}
    assert by_name["wrong text"]["differences"][0] == (
        "expected the message to contain 'no such words'"
    )
    assert "- 08:00 primary-engineer-3 -> primary-engineer-1" in "\n".join(
        by_name["wrong hour"]["differences"]
    )
    assert "+ 09:00 primary-engineer-3 -> primary-engineer-1" in "\n".join(
        by_name["wrong hour"]["differences"]
    )
    assert "unknown integration 'nope'" in by_name["unknown integration"]["error"]
    assert data["passed"] == 0 and data["failed"] == 3


def test_a_bad_tests_file_names_line_and_field(tmp_path: Path) -> None:
    cases = tmp_path / "bad.yaml"
    cases.write_text(
        "tests:\n"
        "  - name: two kinds\n"
        "    escalation: {severity: P0, at: '2026-01-01T00:00'}\n"
        "    expect: {severity: P0}\n"
        "  - name: typo\n"
        "    handoff: {schedule: x, on: 2027-01-01, timezon: UTC}\n"
        "    expect: {handoffs: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(PlaybookError) as caught:
        load_tests(cases)
    text = str(caught.value)
    assert "expect.severity does not apply to a escalation test" in text
    assert f"{cases}:6: tests[1].handoff.timezon" in text
    result = runner.invoke(app, ["playbook", "test", str(cases)])
    assert result.exit_code == 2


def test_escalation_skips_a_level_with_nobody_and_goes_on_at_once(tmp_path: Path) -> None:
    text = default_playbook_text().replace(
        "          - {type: schedule, id: aurigraph-secondary}",
        "          - {type: team, id: nobody-team}",
        1,
    )
    text = text.replace("teams:\n", "teams:\n  - {id: nobody-team, name: Empty, members: []}\n", 1)
    playbook = parse_playbook(text).playbook
    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    run = escalation_run(playbook, severity="P1", service="api", at=start)
    assert [(s.level, s.after.total_seconds()) for s in run.skipped] == [(2, 300.0)]
    # Level 3 is paged at once when level 2 finds nobody (as the engine does), and the
    # CTO still comes on the matrix clock counted from there.
    assert [(p.level, p.after.total_seconds()) for p in run.pages] == [
        (1, 0.0),
        (3, 300.0),
        (4, 1200.0),
        (5, 3000.0),
    ]


def test_simulate_an_alertmanager_alert() -> None:
    playbook = parse_playbook(default_playbook_text()).playbook
    payload = json.loads((FIXTURES / "webhook-firing.json").read_text())
    at = datetime(2026, 12, 25, 2, 0, tzinfo=UTC)
    [outcome] = simulate_alert(playbook, "alertmanager", payload, at)
    assert outcome.verdict.severity == "P1"  # `severity: critical` maps to P1
    assert [p.level for p in outcome.escalation.pages] == [1, 2, 3, 4, 5]
    assert "status_page" in {c for n in outcome.notices for c in n.channels}
    result = runner.invoke(
        app,
        [
            "simulate",
            str(FIXTURES / "webhook-firing.json"),
            "--at",
            "2026-12-25T02:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "severity P1" in result.output
    assert "+  5m 2026-12-25 02:05 UTC  level 2 Secondary On-Call Engineer" in result.output


def test_simulate_a_resolved_payload_opens_nothing() -> None:
    result = runner.invoke(app, ["simulate", str(FIXTURES / "webhook-resolved.json"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    bad = runner.invoke(
        app, ["simulate", str(FIXTURES / "webhook-resolved.json"), "--integration", "x"]
    )
    assert bad.exit_code == 1
    assert "unknown integration 'x'" in bad.output
