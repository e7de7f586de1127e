"""Final schedule: layer priority, restrictions, overrides, merging, gaps, hand-offs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import (
    FinalEntry,
    Handoff,
    Interval,
    Layer,
    Override,
    Restriction,
    Schedule,
    Source,
    TimeWindow,
    Weekday,
    final_schedule,
    handoffs,
    staggered_rotation,
    who_is_on_call,
)

from ._support import CHICAGO, DAILY, LONDON, MONTHLY, local, rotation, utc

WEEKDAYS = frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI})
MON = local(CHICAGO, 2026, 11, 2, 9)


def _layer(
    id: str, priority: int, members: str, restriction: Restriction | None = None, **kw: object
) -> Layer:
    return Layer(id, rotation(members=members, id=id, start=MON, **kw), priority, restriction)  # type: ignore[arg-type]


def test_higher_layer_overrides_where_it_has_someone() -> None:
    base = _layer("base", 0, "ab")
    business = Restriction(windows=(TimeWindow(time(9), time(17)),), weekdays=WEEKDAYS)
    day = _layer("day", 10, "x", business)
    final = final_schedule(Schedule("s", "S", (base, day)), MON, MON + timedelta(days=2))
    assert [(e.user, e.start, e.end, e.sources) for e in final.entries] == [
        ("x", MON, MON + timedelta(hours=8), (Source("layer", "day"),)),
        ("a", MON + timedelta(hours=8), MON + timedelta(hours=24), (Source("layer", "base"),)),
        ("x", MON + timedelta(hours=24), MON + timedelta(hours=32), (Source("layer", "day"),)),
        ("a", MON + timedelta(hours=32), MON + timedelta(hours=48), (Source("layer", "base"),)),
    ]
    assert final.gaps == ()


def test_gaps_are_reported_where_nobody_is_on_call() -> None:
    business = Restriction(windows=(TimeWindow(time(9), time(17)),), weekdays=WEEKDAYS)
    only = _layer("day", 1, "xy", business)
    fri = local(CHICAGO, 2026, 11, 6, 9)
    until = local(CHICAGO, 2026, 11, 9, 13)  # Monday lunchtime
    final = final_schedule(Schedule("s", "S", (only,)), fri, until)
    assert [(e.user, e.start, e.end) for e in final.entries] == [
        ("x", fri, local(CHICAGO, 2026, 11, 6, 17)),
        ("y", local(CHICAGO, 2026, 11, 9, 9), until),
    ]
    assert final.gaps == (
        Interval(local(CHICAGO, 2026, 11, 6, 17), local(CHICAGO, 2026, 11, 9, 9)),
    )


def test_gap_before_rotation_start() -> None:
    layer = _layer("l", 0, "a")
    final = final_schedule(
        Schedule("s", "S", (layer,)), MON - timedelta(hours=3), MON + timedelta(hours=1)
    )
    assert final.gaps == (Interval(MON - timedelta(hours=3), MON),)


def test_same_user_across_sources_is_merged() -> None:
    layer = _layer("l", 0, "ab")
    # b's override ends exactly when b's own shift starts a week later -> one entry.
    o = Override("o1", "b", MON + timedelta(days=5), MON + timedelta(days=7), created_at=MON)
    final = final_schedule(Schedule("s", "S", (layer,), (o,)), MON, MON + timedelta(days=10))
    assert [(e.user, e.start, e.end) for e in final.entries] == [
        ("a", MON, MON + timedelta(days=5)),
        ("b", MON + timedelta(days=5), MON + timedelta(days=10)),
    ]
    assert final.entries[1].sources == (Source("override", "o1"), Source("layer", "l"))
    assert final.entries[1].source == Source("override", "o1")


def test_overlapping_overrides_in_final_schedule() -> None:
    layer = _layer("l", 0, "a")
    old = Override("old", "ov1", MON + timedelta(hours=1), MON + timedelta(hours=5), created_at=MON)
    new = Override(
        "new",
        "ov2",
        MON + timedelta(hours=2),
        MON + timedelta(hours=3),
        created_at=MON + timedelta(minutes=1),
    )
    final = final_schedule(Schedule("s", "S", (layer,), (new, old)), MON, MON + timedelta(hours=6))
    assert [(e.user, (e.end - e.start) // timedelta(hours=1)) for e in final.entries] == [
        ("a", 1),
        ("ov1", 1),
        ("ov2", 1),
        ("ov1", 2),
        ("a", 1),
    ]


def test_handoffs_including_gaps() -> None:
    business = Restriction(windows=(TimeWindow(time(9), time(17)),), weekdays=WEEKDAYS)
    layer = _layer("day", 0, "xy", business, length=DAILY)
    got = handoffs(Schedule("s", "S", (layer,)), MON, MON + timedelta(days=2))
    assert got == [
        Handoff(local(CHICAGO, 2026, 11, 2, 17), "x", None),
        Handoff(local(CHICAGO, 2026, 11, 3, 9), None, "y"),
        Handoff(local(CHICAGO, 2026, 11, 3, 17), "y", None),
    ]


def test_handoffs_between_people() -> None:
    layer = _layer("l", 0, "abc")
    got = handoffs(Schedule("s", "S", (layer,)), MON, MON + timedelta(weeks=3))
    assert [(h.outgoing, h.incoming) for h in got] == [("a", "b"), ("b", "c")]
    assert [h.at.astimezone(CHICAGO) for h in got] == [
        MON + timedelta(weeks=1),
        MON + timedelta(weeks=2),
    ]


def _playbook_schedule(n: int, tz: object = CHICAGO) -> Schedule:
    members = tuple(f"eng{n}-{i}" for i in range(3))
    primary = rotation(members=members, id="primary", tz=tz, start=local(tz, 2026, 1, 5, 9))  # type: ignore[arg-type]
    secondary = staggered_rotation(primary, id="secondary", offset=timedelta(days=3.5))
    leads = rotation(
        members=(f"lead{n}-a", f"lead{n}-b"),
        length=MONTHLY,
        id="leads",
        tz=tz,  # type: ignore[arg-type]
        start=local(tz, 2026, 1, 1, 9),  # type: ignore[arg-type]
    )
    business = Restriction(windows=(TimeWindow(time(22), time(6)),), weekdays=WEEKDAYS)
    overrides = tuple(
        Override(
            f"o{i}",
            f"sub{i}",
            utc(2026, 11, 20 + i),
            utc(2026, 11, 21 + i, 12),
            created_at=utc(2026, 11, 1, i),
        )
        for i in range(3)
    )
    return Schedule(
        f"s{n}",
        f"Schedule {n}",
        (
            Layer("leads", leads, 0),
            Layer("secondary", secondary, 1, business),
            Layer("primary", primary, 2, Restriction(weekdays=WEEKDAYS)),
        ),
        overrides,
    )


@settings(max_examples=150, deadline=None)
@given(
    probe=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    tz=st.sampled_from([CHICAGO, LONDON]),
)
def test_who_is_on_call_agrees_with_final_schedule(probe: datetime, tz: object) -> None:
    schedule = _playbook_schedule(0, tz)
    final = final_schedule(schedule, probe - timedelta(days=40), probe + timedelta(days=40))
    covering = [e for e in final.entries if e.start <= probe < e.end]
    now = who_is_on_call(schedule, probe)
    if now is None:
        assert covering == []
        assert any(g.start <= probe < g.end for g in final.gaps)
    else:
        assert [e.user for e in covering] == [now.user]
        assert now.source in covering[0].sources


def test_final_schedule_is_contiguous_and_covers_the_window() -> None:
    schedule = _playbook_schedule(0)
    since, until = utc(2026, 1, 1), utc(2027, 1, 1)
    final = final_schedule(schedule, since, until)
    spans = sorted(
        [(e.start, e.end) for e in final.entries] + [(g.start, g.end) for g in final.gaps]
    )
    assert spans[0][0] == since and spans[-1][1] == until
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    entries: list[FinalEntry] = list(final.entries)
    assert all(a.user != b.user for a, b in itertools.pairwise(entries) if a.end == b.start)
