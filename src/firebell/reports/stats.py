"""Summary statistics for durations, including censored ones (Kaplan-Meier).

Pure functions of lists of seconds; no database, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Mean, median and tail of the observed durations, in seconds (None when empty)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    p95: float | None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks
    (numpy's default, Excel's PERCENTILE.INC)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def summarise(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0, None, None, None, None)
    ordered = sorted(values)
    return Summary(
        count=len(ordered),
        mean=sum(ordered) / len(ordered),
        median=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p95=percentile(ordered, 95),
    )


@dataclass(frozen=True)
class Observation:
    """A duration, and whether the event was seen (False: censored, i.e. the incident was
    still waiting when we stopped looking, so the true duration is at least this long)."""

    seconds: float
    observed: bool


def kaplan_meier_median(observations: Sequence[Observation]) -> float | None:
    """The Kaplan-Meier estimate of the median: the first event time at which the
    estimated survival S(t) = prod(1 - d_i / n_i) falls to 0.5 or below.

    Censored observations count in the risk set n_i up to their time (a censored time
    equal to an event time is still at risk then, by convention). None when the curve
    never reaches 0.5 (too many censored observations to know the median).
    """
    ordered = sorted(observations, key=lambda o: o.seconds)
    at_risk = len(ordered)
    survival = 1.0
    index = 0
    while index < len(ordered):
        time = ordered[index].seconds
        events = censored = 0
        while index < len(ordered) and ordered[index].seconds == time:
            if ordered[index].observed:
                events += 1
            else:
                censored += 1
            index += 1
        if events:
            survival *= 1 - events / at_risk
            if survival <= 0.5 + 1e-12:
                return time
        at_risk -= events + censored
    return None
