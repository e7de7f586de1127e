"""Overrides: the latest-created override wins on the overlap only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firebell.oncall import Override, effective_overrides, override_at

from ._support import utc

T0 = utc(2026, 11, 2, 0)


def _o(id: str, user: str, start_h: int, end_h: int, created_h: int) -> Override:
    return Override(
        id,
        user,
        T0 + timedelta(hours=start_h),
        T0 + timedelta(hours=end_h),
        created_at=T0 - timedelta(days=10) + timedelta(hours=created_h),
    )


def test_latest_created_wins_on_overlap_only() -> None:
    old = _o("old", "alice", 0, 10, created_h=0)
    new = _o("new", "bob", 4, 6, created_h=1)
    pieces = effective_overrides([new, old], T0 - timedelta(hours=1), T0 + timedelta(hours=12))
    assert [(p[0], p[1], p[2].user) for p in pieces] == [
        (T0, T0 + timedelta(hours=4), "alice"),
        (T0 + timedelta(hours=4), T0 + timedelta(hours=6), "bob"),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=10), "alice"),  # old applies again
    ]


def test_older_override_created_later_in_list_order_does_not_matter() -> None:
    newer_wide = _o("a", "carol", 0, 10, created_h=5)
    older_narrow = _o("b", "dave", 2, 3, created_h=1)
    for order in ([newer_wide, older_narrow], [older_narrow, newer_wide]):
        pieces = effective_overrides(order, T0, T0 + timedelta(hours=10))
        assert [(p[2].user) for p in pieces] == ["carol"]  # the older one is fully covered
        assert override_at(order, T0 + timedelta(hours=2, minutes=30)) == newer_wide


def test_three_way_overlap_and_end_is_exclusive() -> None:
    a = _o("a", "alice", 0, 6, created_h=0)
    b = _o("b", "bob", 2, 8, created_h=1)
    c = _o("c", "carol", 4, 5, created_h=2)
    pieces = effective_overrides([a, b, c], T0, T0 + timedelta(hours=9))
    assert [(p[2].id, (p[1] - p[0]) // timedelta(hours=1)) for p in pieces] == [
        ("a", 2),
        ("b", 2),
        ("c", 1),
        ("b", 3),
    ]
    assert override_at([a, b, c], T0 + timedelta(hours=8)) is None


def test_same_created_at_tie_breaks_by_id() -> None:
    x = _o("x", "xavier", 0, 2, created_h=0)
    y = _o("y", "yolanda", 1, 3, created_h=0)
    assert override_at([y, x], T0 + timedelta(hours=1, minutes=30)) == y


def test_override_must_have_positive_length() -> None:
    with pytest.raises(ValueError):
        _o("bad", "alice", 5, 5, created_h=0)
