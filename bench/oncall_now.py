""" "Who is on call now" for 1,000 schedules, with the pure on-call core.

    python bench/oncall_now.py [--schedules 1000] [--repeat 20] [--seed 7]

The schedules are built with `firebell.oncall` models shaped like the default playbook's,
in groups of four per team (time zones, rosters and start dates vary per team):

* primary: a weekly rotation (Monday 09:00 hand-off), under a higher-priority
  business-hours layer restricted to Mon-Fri 09:00-17:00;
* secondary: `staggered_rotation(primary, offset=84h)`;
* leads: a monthly rotation;
* follow-the-sun: three daily rotations in three zones, each restricted to an 8-hour
  window (one crossing midnight);
and about 10% of the schedules carry 1-3 overrides, some covering "now".

"cold" is the first pass after clearing the core's caches (zone, grid, resolve_local);
"warm" is the median and worst of `--repeat` further passes at the same instant, and
"moving" re-asks at 20 instants spread over the next 90 days (new shifts, caches warm).
Target: < 100 ms for all schedules.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from _common import Targets, machine

from firebell import oncall
from firebell.oncall import localtime, rotation

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]
WEEKDAYS = frozenset(oncall.Weekday(d) for d in range(5))


def build(n: int, now: datetime, rng: random.Random) -> list[oncall.Schedule]:
    schedules: list[oncall.Schedule] = []
    team = 0
    while len(schedules) < n:
        team += 1
        tz = rng.choice(ZONES)
        people = [f"t{team}-eng-{i}" for i in range(rng.randint(3, 6))]
        start = datetime(2025, 11, 17, 9, tzinfo=UTC) - timedelta(weeks=rng.randint(0, 50))
        primary = oncall.Rotation(
            id=f"t{team}-primary",
            members=tuple(people),
            shift_length=oncall.CalendarLength(oncall.ShiftUnit.WEEKLY),
            handoff_time=clock(9),
            time_zone=tz,
            start=start,
        )
        day_crew = oncall.Rotation(
            id=f"t{team}-day",
            members=tuple(reversed(people)),
            shift_length=oncall.CalendarLength(oncall.ShiftUnit.DAILY),
            handoff_time=clock(9),
            time_zone=tz,
            start=start,
        )
        business = oncall.Restriction(
            windows=(oncall.TimeWindow(clock(9), clock(17)),), weekdays=WEEKDAYS
        )
        secondary = rotation.staggered_rotation(
            primary, id=f"t{team}-secondary", offset=timedelta(hours=84)
        )
        leads = oncall.Rotation(
            id=f"t{team}-leads",
            members=(f"t{team}-lead-1", f"t{team}-lead-2"),
            shift_length=oncall.CalendarLength(oncall.ShiftUnit.MONTHLY),
            handoff_time=clock(9),
            time_zone=tz,
            start=datetime(2025, 11, 1, 14, tzinfo=UTC),
        )
        sun_layers = []
        for i, (zone, begin) in enumerate(
            (("America/New_York", 9), ("Asia/Tokyo", 9), ("Europe/London", 22))
        ):
            sun_layers.append(
                oncall.Layer(
                    id=f"t{team}-sun-{i}",
                    rotation=oncall.Rotation(
                        id=f"t{team}-sun-{i}",
                        members=tuple(people[i:] + people[:i]),
                        shift_length=oncall.CalendarLength(oncall.ShiftUnit.DAILY),
                        handoff_time=clock(begin),
                        time_zone=zone,
                        start=start,
                    ),
                    priority=i + 1,
                    restriction=oncall.Restriction(
                        windows=(oncall.TimeWindow(clock(begin), clock((begin + 8) % 24)),)
                    ),
                )
            )
        group = [
            (
                "primary",
                (
                    oncall.Layer(f"t{team}-primary", primary, 1),
                    oncall.Layer(f"t{team}-day", day_crew, 2, business),
                ),
            ),
            ("secondary", (oncall.Layer(f"t{team}-secondary", secondary, 1),)),
            ("leads", (oncall.Layer(f"t{team}-leads", leads, 1),)),
            ("sun", tuple(sun_layers)),
        ]
        for kind, layers in group:
            overrides: list[oncall.Override] = []
            if rng.random() < 0.1:
                for k in range(rng.randint(1, 3)):
                    begin = now + timedelta(hours=rng.randint(-48, 48))
                    overrides.append(
                        oncall.Override(
                            id=f"t{team}-{kind}-o{k}",
                            user=rng.choice(people),
                            start=begin,
                            end=begin + timedelta(hours=rng.randint(1, 72)),
                            created_at=now - timedelta(days=rng.randint(1, 30), minutes=k),
                        )
                    )
            schedules.append(
                oncall.Schedule(
                    id=f"t{team}-{kind}",
                    name=f"team {team} {kind}",
                    layers=layers,
                    overrides=tuple(overrides),
                )
            )
    return schedules[:n]


def clear_caches() -> None:
    localtime.zone.cache_clear()
    localtime.resolve_local.cache_clear()
    rotation._grid.cache_clear()


def ask_all(schedules: list[oncall.Schedule], at: datetime) -> tuple[float, int]:
    started = time.perf_counter()
    answered = sum(1 for s in schedules if oncall.who_is_on_call(s, at) is not None)
    return (time.perf_counter() - started) * 1000, answered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"bench/oncall_now.py  {machine()}")
    now = datetime.now(UTC)
    rng = random.Random(args.seed)
    schedules = build(args.schedules, now, rng)
    layers = sum(len(s.layers) for s in schedules)
    overrides = sum(len(s.overrides) for s in schedules)
    print(
        f"{len(schedules):,} schedules, {layers:,} layers, {overrides} overrides; now={now:%FT%TZ}"
    )

    clear_caches()
    cold, answered = ask_all(schedules, now)
    print(f"  cold:   {cold:7.1f} ms  ({answered:,} schedules with someone on call)")
    warm = [ask_all(schedules, now)[0] for _ in range(args.repeat)]
    print(f"  warm:   {statistics.median(warm):7.1f} ms median, {max(warm):.1f} ms worst")
    moving = [
        ask_all(schedules, now + timedelta(days=90 * i / 20, minutes=37 * i))[0] for i in range(20)
    ]
    print(f"  moving: {statistics.median(moving):7.1f} ms median, {max(moving):.1f} ms worst")
    print(f"  per schedule (warm median): {statistics.median(warm) / len(schedules) * 1000:.1f} µs")

    t = Targets()
    t.check("cold, all schedules", cold, "<", 100, " ms")
    t.check("warm worst, all schedules", max(warm), "<", 100, " ms")
    t.check("moving worst, all schedules", max(moving), "<", 100, " ms")
    return t.exit()


if __name__ == "__main__":
    sys.exit(main())
