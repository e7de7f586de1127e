"""Metrics in the console: MTTA, MTTR and SLA compliance over a period, with server-made
SVG charts and tables carrying the same numbers, and the monthly review. The same service
as `/api/v1/metrics`, with the signed-in user's Principal: a non-member's figures leave
private incidents out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from firebell.errors import DomainError, Invalid
from firebell.reports.charts import Series, bar_chart
from firebell.reports.documents import monthly_documents
from firebell.reports.metrics import GroupMetrics, Metrics
from firebell.reports.service import add_months, month_start
from firebell.reports.units import duration, pct
from firebell.web.console import (
    SECURITY_HEADERS,
    console_of,
    errors_of,
    principal_of,
    signed_in,
)

router = APIRouter(prefix="/console", include_in_schema=False)
PERIODS = (7, 30, 90)


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    days: int | None  # one of PERIODS, or None for a month
    month: str | None
    label: str


def period_of(now: datetime, days: int, month: str) -> Period:
    """The last `days` days up to now, or a calendar month (UTC); Invalid names the field."""
    if month:
        try:
            start = month_start(month)
        except (ValueError, DomainError):
            raise Invalid.field("month", "a month as YYYY-MM, e.g. 2026-11") from None
        return Period(start, add_months(start, 1), None, month, f"{start:%B %Y}")
    if days not in PERIODS:
        raise Invalid.field("days", f"one of {', '.join(map(str, PERIODS))}")
    return Period(now - timedelta(days=days), now, days, None, f"the last {days} days")


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 1)


def charts(metrics: Metrics, severities: Sequence[str]) -> list[Markup]:
    """Server-made SVG (each with a title and a desc); the tables beside them hold the
    same numbers for those who do not read charts."""
    by_sev = {g.key: g for g in metrics.groups if g.dimension == "severity"}
    labels = list(severities)
    counts = [float(metrics.by_severity.get(s, 0)) for s in severities]
    mtta = [_minutes(by_sev[s].mtta.summary.mean) if s in by_sev else None for s in severities]
    mttr = [_minutes(by_sev[s].mttr.summary.mean) if s in by_sev else None for s in severities]
    made = [
        bar_chart("Incidents by severity", labels, [Series("incidents", counts)]),
        bar_chart(
            "Mean time to acknowledge and to resolve by severity",
            labels,
            [Series("MTTA", mtta), Series("MTTR", mttr)],
            unit="minutes",
        ),
    ]
    services = [g for g in metrics.groups if g.dimension == "service"]
    if services:
        made.append(
            bar_chart(
                "Incidents by service",
                [g.key for g in services],
                [Series("incidents", [float(g.count) for g in services])],
            )
        )
    # Our own SVG: every text in it went through xml escape in `reports.charts`.
    return [Markup(svg) for svg in made]


def _group_rows(metrics: Metrics, dimension: str) -> list[GroupMetrics]:
    return [g for g in metrics.groups if g.dimension == dimension]


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(
    request: Request,
    days: int = 30,
    month: str = "",
    severity: str = "",
    service: str = "",
) -> Response:
    who = signed_in(request)
    console = console_of(request)
    runtime = console.runtime
    actor = principal_of(who)
    pb = runtime.playbook.playbook
    now = runtime.clock.now()
    errors: dict[str, str] = {}
    status = 200
    try:
        period = period_of(now, days, month.strip())
        metrics = runtime.reports.metrics(
            period.since, period.until, actor, severity or None, service or None
        )
    except DomainError as exc:
        errors, status = errors_of(exc), exc.status
        period = period_of(now, 30, "")
        metrics = runtime.reports.metrics(period.since, period.until, actor)
    severities = list(pb.severities)
    overall = next(g for g in metrics.groups if g.dimension == "all")
    return console.render(
        request,
        "metrics.html",
        who,
        status,
        period=period,
        periods=PERIODS,
        m=metrics,
        overall=overall,
        by_severity=_group_rows(metrics, "severity"),
        by_service=_group_rows(metrics, "service"),
        charts=charts(metrics, severities),
        severities=pb.severities,
        services=pb.services,
        chosen_severity=severity if not errors else "",
        chosen_service=service if not errors else "",
        duration=duration,
        pct=pct,
        errors=errors,
        this_month=f"{now:%Y-%m}",
        last_month=f"{add_months(month_start(f'{now:%Y-%m}'), -1):%Y-%m}",
    )


@router.get("/metrics/monthly", response_model=None)
def monthly_review(request: Request, month: str = "") -> Response:
    """The monthly review as the API's HTML (self-contained, charts inline)."""
    who = signed_in(request)
    console = console_of(request)
    runtime = console.runtime
    try:
        if not month:
            raise Invalid.field("month", "a month as YYYY-MM, e.g. 2026-11")
        review = runtime.reports.monthly(month, principal_of(who))
    except DomainError as exc:
        detail = "; ".join(f"{k}: {v}" if k else v for k, v in errors_of(exc).items())
        return console.render(
            request, "refused.html", who, exc.status, title="No review", detail=detail
        )
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
        ),
    }
    return HTMLResponse(monthly_documents(review).html, headers=headers)
