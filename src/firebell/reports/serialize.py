"""Metrics as JSON (durations in seconds), for the API, the CLI and reports."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from firebell.reports.metrics import Compliance, DurationMetric, GroupMetrics, Metrics, Rate


def _duration(metric: DurationMetric) -> dict[str, Any]:
    return {
        **asdict(metric.summary),
        "km_median": metric.km_median,
        "censored": metric.censored,
        "target": metric.target,
        "meets_target": metric.meets_target,
    }


def _compliance(value: Compliance) -> dict[str, Any]:
    return {**asdict(value), "percent": value.percent}


def _rate(value: Rate) -> dict[str, Any]:
    return {**asdict(value), "percent": value.percent}


def _group(group: GroupMetrics) -> dict[str, Any]:
    return {
        "dimension": group.dimension,
        "key": group.key,
        "count": group.count,
        "mtta": _duration(group.mtta),
        "mttr": _duration(group.mttr),
        "mttd": _duration(group.mttd),
        "sla_response": _compliance(group.response),
        "sla_resolution": _compliance(group.resolution),
    }


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    scope = metrics.scope
    return {
        "since": scope.since.isoformat(),
        "until": scope.until.isoformat(),
        "as_of": scope.as_of.isoformat(),
        "severity": scope.severity,
        "service": scope.service,
        "units": "seconds",
        "drills_excluded": metrics.drills_excluded,
        "incidents_by_severity": metrics.by_severity,
        "groups": [_group(g) for g in metrics.groups],
        "sla_breaches": [asdict(b) for b in metrics.breaches],
        "repeat_incidents": [asdict(r) for r in metrics.repeats],
        "postmortems_on_time": _rate(metrics.postmortems),
        "action_items_completion": _rate(metrics.action_items),
        "action_items_open": metrics.open_action_items,
        "oncall_load": [asdict(p) for p in metrics.oncall],
    }
