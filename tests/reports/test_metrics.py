"""The metrics core on generated histories; every expected figure is computed here
independently (statistics module, brute-force Kaplan-Meier, wall-clock arithmetic)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.playbook.durations import Span
from firebell.reports.metrics import (
    ActionItemRecord,
    History,
    IncidentRecord,
    PageRecord,
    PostmortemRecord,
    Scope,
    Target,
    WorkingHours,
    compute,
)
from firebell.reports.stats import Observation, kaplan_meier_median, summarise

T0 = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 3, tzinfo=UTC)
TARGETS = {
    "P0": Target(Span.parse("5m"), Span.parse("1h"), Span.parse("5m"), Span.parse("1h")),
    "P1": Target(Span.parse("15m"), Span.parse("4h"), Span.parse("15m"), Span.parse("4h")),
    "P2": Target(Span.parse("1h"), Span.parse("24h"), Span.parse("1h"), Span.parse("24h")),
    "P3": Target(Span.parse("1d"), Span.parse("1w"), Span.parse("1d"), Span.parse("1w")),
}
HOURS = WorkingHours(frozenset(range(5)), time(9), time(18))
SCOPE = Scope(T0, END, AS_OF)


def brute_km_median(obs: list[tuple[float, bool]]) -> float | None:
    """S(t) from its definition at each event time: n = still at risk at t, d = events."""
    event_times = sorted({t for t, seen in obs if seen})
    survival = 1.0
    for t in event_times:
        n = sum(1 for u, _ in obs if u >= t)
        d = sum(1 for u, seen in obs if u == t and seen)
        survival *= (n - d) / n
        if survival <= 0.5 + 1e-12:
            return t
    return None


def test_kaplan_meier_by_hand() -> None:
    obs = [
        Observation(1, True),
        Observation(2, False),
        Observation(3, True),
        Observation(4, True),
        Observation(5, False),
    ]
    # S(1)=4/5, S(3)=4/5*2/3=0.533, S(4)=0.533*1/2=0.267 -> median 4 (naive: 3).
    assert kaplan_meier_median(obs) == 4
    assert summarise([1, 3, 4]).median == 3
    # S(5) = 2/3 and the rest are censored: the median is not known yet.
    obs = [Observation(5, True), Observation(6, False), Observation(7, False)]
    assert kaplan_meier_median(obs) is None


@given(st.lists(st.tuples(st.integers(0, 50), st.booleans()), min_size=1, max_size=40))
def test_kaplan_meier_matches_its_definition(raw: list[tuple[int, bool]]) -> None:
    obs = [Observation(float(t), seen) for t, seen in raw]
    assert kaplan_meier_median(obs) == brute_km_median([(float(t), s) for t, s in raw])


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=60))
def test_summary_matches_statistics_module(values: list[int]) -> None:
    got = summarise([float(v) for v in values])
    assert got.count == len(values)
    assert got.mean is not None and abs(got.mean - statistics.fmean(values)) < 1e-6
    assert got.median == statistics.median(values)
    if len(values) > 1:
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        assert got.p90 is not None and abs(got.p90 - cuts[89]) < 1e-6
        assert got.p95 is not None and abs(got.p95 - cuts[94]) < 1e-6


incident_strategy = st.builds(
    lambda n, sev, svc, start, ack, res, drill, private: (
        n,
        sev,
        svc,
        start,
        ack,
        res,
        drill,
        private,
    ),
    st.integers(),
    st.sampled_from(["P0", "P1", "P2", "P3"]),
    st.sampled_from(["api", "db", None]),
    st.integers(0, 29 * 24 * 60),  # minutes into November
    st.one_of(st.none(), st.integers(0, 600)),  # minutes to ack
    st.one_of(st.none(), st.integers(0, 3 * 24 * 60)),  # minutes to resolve
    st.booleans(),
    st.booleans(),
)


def _history(
    raw: list[tuple[int, str, str | None, int, int | None, int | None, bool, bool]],
) -> list[IncidentRecord]:
    rows = []
    for number, (_, sev, svc, start, ack, res, drill, private) in enumerate(raw, 1):
        declared = T0 + timedelta(minutes=start)
        acked = declared + timedelta(minutes=ack) if ack is not None else None
        resolved = declared + timedelta(minutes=res) if res is not None else None
        if acked and resolved and acked > resolved:
            acked = resolved
        rows.append(
            IncidentRecord(
                number,
                f"t{number}",
                sev,
                svc,
                declared,
                acked,
                resolved,
                drill=drill,
                private=private,
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_strategy, min_size=1, max_size=40))
def test_generated_history(
    raw: list[tuple[int, str, str | None, int, int | None, int | None, bool, bool]],
) -> None:
    incidents = _history(raw)
    result = compute(History(incidents), SCOPE, TARGETS, {}, HOURS)
    real = [i for i in incidents if not i.drill]
    assert result.drills_excluded == len(incidents) - len(real)
    overall = result.groups[0]
    assert overall.count == len(real)

    acked = [(i.acknowledged_at - i.declared_at).total_seconds() for i in real if i.acknowledged_at]
    assert overall.mtta.summary.count == len(acked)
    if acked:
        assert overall.mtta.summary.median == statistics.median(acked)
    assert overall.mtta.censored == len(real) - len(acked)
    # MTTA censoring: unacknowledged -> at resolution, or now when still open.
    km = [
        ((i.acknowledged_at or i.resolved_at or AS_OF) - i.declared_at).total_seconds()
        for i in real
    ]
    seen = [i.acknowledged_at is not None for i in real]
    assert overall.mtta.km_median == brute_km_median(list(zip(km, seen, strict=True)))
    mttr_obs = [((i.resolved_at or AS_OF) - i.declared_at).total_seconds() for i in real]
    assert overall.mttr.km_median == brute_km_median(
        list(zip(mttr_obs, [i.resolved_at is not None for i in real], strict=True))
    )

    # SLA compliance, by hand.
    met = breached = 0
    for i in real:
        limit = {"P0": 60, "P1": 240, "P2": 1440, "P3": 10080}[i.severity]
        deadline = i.declared_at + timedelta(minutes=limit)
        if i.resolved_at is not None:
            met += i.resolved_at <= deadline
            breached += i.resolved_at > deadline
        elif deadline < AS_OF:
            breached += 1
    assert (overall.resolution.met, overall.resolution.breached) == (met, breached)
    assert overall.resolution.pending == len(real) - met - breached

    for group in result.groups[1:]:
        members = [i for i in real if getattr(i, group.dimension) == group.key]
        assert group.count == len(members)
    assert sum(result.by_severity.values()) == len(real)
    # The history is what the reader may see (filtered on loading): every breach is titled.
    for breach in result.breaches:
        source = next(i for i in incidents if i.number == breach.incident.number)
        assert breach.incident.title == source.title


def test_mtta_and_targets_on_a_small_history() -> None:
    minutes = [2, 4, 30]  # P0: acks after 2, 4, 30 minutes; a fourth never acked
    incidents = [
        IncidentRecord(
            n,
            "x",
            "P0",
            "api",
            T0 + timedelta(days=n),
            T0 + timedelta(days=n, minutes=m),
            T0 + timedelta(days=n, minutes=50),
        )
        for n, m in enumerate(minutes, 1)
    ]
    incidents.append(
        IncidentRecord(
            9, "y", "P0", "api", T0 + timedelta(days=9), None, T0 + timedelta(days=9, minutes=90)
        )
    )
    p0 = next(
        g for g in compute(History(incidents), SCOPE, TARGETS, {}, HOURS).groups if g.key == "P0"
    )
    assert p0.mtta.summary.mean == 12 * 60  # (2+4+30)/3 minutes
    assert p0.mtta.summary.median == 4 * 60
    assert p0.mtta.censored == 1
    assert p0.mtta.target == 300 and p0.mtta.meets_target is False
    # Responses within 5 minutes: 2 and 4 met; 30 late; the unacked one resolved at 90 late.
    assert (p0.response.met, p0.response.breached) == (2, 2)
    assert p0.response.percent == 50.0
    assert (p0.resolution.met, p0.resolution.breached) == (3, 1)


def test_sleep_and_working_hours_in_each_persons_zone() -> None:
    # 2026-11-04 is a Wednesday. 03:30 UTC = 22:30 Tuesday in New York (EST, UTC-5):
    # asleep and outside work; 12:30 Wednesday in Tokyo: awake, at work.
    at = datetime(2026, 11, 4, 3, 30, tzinfo=UTC)
    # 14:00 UTC Saturday = 09:00 in New York: awake, but not a working day.
    weekend = datetime(2026, 11, 7, 14, 0, tzinfo=UTC)
    # 11:59 UTC = 06:59 New York (sleep) and 12:00 UTC = 07:00 (not sleep, before work).
    dawn1 = datetime(2026, 11, 5, 11, 59, tzinfo=UTC)
    dawn2 = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    pages = [
        PageRecord("ny", at, 1),
        PageRecord("tokyo", at, 1),
        PageRecord("ny", weekend, 1),
        PageRecord("ny", dawn1, 1),
        PageRecord("ny", dawn2, 1),
        PageRecord("ny", at, 2),  # on a drill: excluded
    ]
    incidents = [
        IncidentRecord(1, "a", "P1", "api", at),
        IncidentRecord(2, "d", "P1", "api", at, drill=True),
    ]
    zones = {"ny": "America/New_York", "tokyo": "Asia/Tokyo"}
    load = compute(History(incidents, pages), SCOPE, TARGETS, zones, HOURS).oncall
    by = {p.person: p for p in load}
    assert (by["ny"].pages, by["ny"].outside_working_hours, by["ny"].sleep_hours) == (4, 4, 2)
    assert (by["tokyo"].pages, by["tokyo"].outside_working_hours, by["tokyo"].sleep_hours) == (
        1,
        0,
        0,
    )


def test_repeats_postmortems_and_action_items() -> None:
    def inc(n: int, svc: str, cause: str | None, linked: tuple[int, ...] = ()) -> IncidentRecord:
        return IncidentRecord(
            n,
            f"t{n}",
            "P1",
            svc,
            T0 + timedelta(days=n),
            root_cause=cause,
            linked=linked,
        )

    incidents = [
        inc(1, "db", "Pool exhausted"),
        inc(2, "db", "pool exhausted "),
        inc(3, "api", "pool exhausted"),
        inc(4, "api", None, (5,)),
        inc(5, "web", None),
        inc(6, "web", None),
    ]
    due = T0 + timedelta(days=10)
    history = History(
        incidents,
        postmortems=[
            PostmortemRecord(1, due, due - timedelta(hours=1)),
            PostmortemRecord(2, due, due + timedelta(hours=1)),
            PostmortemRecord(3, due, None),
            PostmortemRecord(4, END + timedelta(days=1), None),
        ],  # due later: not counted
        action_items=[
            ActionItemRecord(1, "a", due, due),
            ActionItemRecord(2, "a", due, None),
            ActionItemRecord(3, "a", None, None),
        ],
    )
    result = compute(history, SCOPE, TARGETS, {}, HOURS)
    groups = [[r.number for r in g.incidents] for g in result.repeats]
    assert groups == [[1, 2], [4, 5]]
    assert (result.postmortems.on_time, result.postmortems.late, result.postmortems.overdue) == (
        1,
        1,
        1,
    )
    assert result.action_items.percent == 50.0
    assert result.open_action_items == 2
