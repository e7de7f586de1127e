"""DST resolution of local wall-clock times in the four reference zones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import add_months, resolve_local

from ._support import APIA, CHICAGO, LONDON, LORD_HOWE, reference_resolve, utc


@pytest.mark.parametrize(
    ("tz", "naive", "expected"),
    [
        # Spring-forward gaps move to the first valid instant after the gap.
        (CHICAGO, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 8, 0)),  # -> 03:00 CDT
        (LONDON, datetime(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 0)),  # -> 02:00 BST
        (LORD_HOWE, datetime(2026, 10, 4, 2, 15), utc(2026, 10, 3, 15, 30)),  # -> 02:30 +11
        (APIA, datetime(2020, 9, 27, 3, 30), utc(2020, 9, 26, 14, 0)),  # -> 04:00 +14
        # Apia skipped the whole of 2011-12-30: every time that day -> Dec 31 00:00 +14.
        (APIA, datetime(2011, 12, 30, 0, 0), utc(2011, 12, 30, 10, 0)),
        (APIA, datetime(2011, 12, 30, 9, 0), utc(2011, 12, 30, 10, 0)),
        (APIA, datetime(2011, 12, 30, 23, 59), utc(2011, 12, 30, 10, 0)),
        # Fall-back folds use the first occurrence (fold=0).
        (CHICAGO, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 6, 30)),  # CDT, not CST
        (LONDON, datetime(2026, 10, 25, 1, 30), utc(2026, 10, 25, 0, 30)),  # BST, not GMT
        (LORD_HOWE, datetime(2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45)),  # +11, not +10:30
        (APIA, datetime(2021, 4, 4, 3, 30), utc(2021, 4, 3, 13, 30)),  # +14, not +13
        # Ordinary times are unaffected.
        (CHICAGO, datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 8, 0)),
        (LORD_HOWE, datetime(2026, 10, 4, 2, 30), utc(2026, 10, 3, 15, 30)),
        (APIA, datetime(2011, 12, 31, 0, 0), utc(2011, 12, 30, 10, 0)),
        (APIA, datetime(2011, 12, 29, 23, 59), utc(2011, 12, 30, 9, 59)),
    ],
)
def test_resolve_local_dst_rules(tz: ZoneInfo, naive: datetime, expected: datetime) -> None:
    assert resolve_local(naive, tz) == expected
    assert reference_resolve(naive, tz) == expected


_TRANSITIONS = [
    (CHICAGO, datetime(2026, 3, 8, 2)),
    (CHICAGO, datetime(2026, 11, 1, 1)),
    (LONDON, datetime(2026, 3, 29, 1)),
    (LONDON, datetime(2026, 10, 25, 1)),
    (LORD_HOWE, datetime(2026, 10, 4, 2)),
    (LORD_HOWE, datetime(2026, 4, 5, 1, 30)),
    (APIA, datetime(2011, 12, 30, 0)),
    (APIA, datetime(2021, 4, 4, 3)),
    (APIA, datetime(2020, 9, 27, 3)),
]


@settings(max_examples=150, deadline=None)
@given(
    which=st.sampled_from(_TRANSITIONS),
    minutes=st.integers(min_value=-26 * 60, max_value=26 * 60),
)
def test_resolve_local_matches_oracle_near_transitions(
    which: tuple[ZoneInfo, datetime], minutes: int
) -> None:
    tz, around = which
    naive = around + timedelta(minutes=minutes)
    assert resolve_local(naive, tz) == reference_resolve(naive, tz)


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (0, datetime(2026, 1, 31, 9)),
        (1, datetime(2026, 2, 28, 9)),
        (2, datetime(2026, 3, 31, 9)),  # clamp never accumulates
        (3, datetime(2026, 4, 30, 9)),
        (25, datetime(2028, 2, 29, 9)),  # leap year
        (-1, datetime(2025, 12, 31, 9)),
        (-11, datetime(2025, 2, 28, 9)),
    ],
)
def test_add_months_clamps_from_the_anchor(months: int, expected: datetime) -> None:
    assert add_months(datetime(2026, 1, 31, 9), months) == expected
