"""Restricted rotations from the playbook: every restriction applies (their union), the
`turns` mode lets everyone take turns, and `playbook validate` warns, naming them, when
a roster and its restrictions starve someone."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.paging.schedules import on_call, roster_warnings
from firebell.playbook.loader import load_playbook
from paging._support import playbook_document, write_playbook

SEVEN = [
    "primary-engineer-1", "primary-engineer-2", "primary-engineer-3", "secondary-engineer-1",
    "secondary-engineer-2", "secondary-engineer-3", "team-lead-1",
]  # fmt: skip


def with_rotation(rotation: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(playbook_document(None))
    doc["on_call"]["rotations"].append(rotation)
    doc["on_call"]["schedules"].append(
        {"id": "restricted", "name": "Restricted", "layers": [{"rotation": rotation["id"]}]}
    )
    return doc


def weekday_rotation(mode: str | None) -> dict[str, Any]:
    rotation: dict[str, Any] = {
        "id": "weekdays",
        "name": "Weekdays only",
        "members": SEVEN,
        "shift": {"unit": "daily"},
        "handoff_time": "00:00",
        "timezone": "UTC",
        "start": "2026-01-05T00:00:00",
        "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"]}],
    }
    if mode is not None:
        rotation["mode"] = mode
    return rotation


def test_every_restriction_of_a_rotation_applies(tmp_path: Path) -> None:
    doc = with_rotation(
        {
            "id": "split",
            "name": "Business hours and weekend middays",
            "members": ["dba", "cto"],
            "shift": {"unit": "weekly"},
            "timezone": "UTC",
            "start": "2026-01-05T09:00:00",
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"},
                {"days": ["sat", "sun"], "start": "10:00", "end": "14:00"},
            ],
        }
    )
    playbook = load_playbook(write_playbook(doc, tmp_path / "p.yaml")).playbook
    at = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    assert on_call(playbook, "restricted", at(2026, 11, 25, 12)) is not None  # Wednesday
    assert on_call(playbook, "restricted", at(2026, 11, 28, 12)) is not None  # Saturday
    assert on_call(playbook, "restricted", at(2026, 11, 28, 15)) is None
    assert on_call(playbook, "restricted", at(2026, 11, 25, 18)) is None


def test_turns_mode_gives_everyone_weekdays(tmp_path: Path) -> None:
    clock = load_playbook(
        write_playbook(with_rotation(weekday_rotation(None)), tmp_path / "a.yaml")
    )
    turns = load_playbook(
        write_playbook(with_rotation(weekday_rotation("turns")), tmp_path / "b.yaml")
    )
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    days = [start + timedelta(days=d) for d in range(28)]
    by_clock = {on_call(clock.playbook, "restricted", d) for d in days} - {None}
    by_turns = {on_call(turns.playbook, "restricted", d) for d in days} - {None}
    assert by_clock == set(SEVEN) - {"secondary-engineer-3", "team-lead-1"}
    assert by_turns == set(SEVEN)


def test_validate_warns_naming_the_starved_members(tmp_path: Path) -> None:
    starving = write_playbook(with_rotation(weekday_rotation(None)), tmp_path / "a.yaml")
    [warning] = roster_warnings(load_playbook(starving).playbook)
    assert "'weekdays'" in warning and "secondary-engineer-3, team-lead-1" in warning
    result = CliRunner().invoke(app, ["playbook", "validate", str(starving)])
    assert result.exit_code == 0
    assert "warning: rotation 'weekdays': secondary-engineer-3, team-lead-1" in result.output

    fair = write_playbook(with_rotation(weekday_rotation("turns")), tmp_path / "b.yaml")
    result = CliRunner().invoke(app, ["playbook", "validate", str(fair)])
    assert result.exit_code == 0 and "warning" not in result.output
    assert roster_warnings(load_playbook(fair).playbook) == []
