"""Prometheus metrics (`GET /metrics`, the text exposition format, via prometheus-client).

Everything durable is read from the database at scrape time, by a custom collector: the
figures are the same whichever process is scraped, survive restarts, and cost nothing
on the hot paths. Only intake events are counted in the process (requests that were
refused never reach the database); scrape every process for those.

Metric names follow Prometheus conventions: `_total` counters, `_seconds` units,
histograms with `_bucket{le}`, `_sum` and `_count`.

Incident series (open, declared, SLA breaches) leave private incidents out
(`incidents.visibility.public_only`): the scraper's token is a service account, never a
member, and the series end up on dashboards that anyone may read. Page, timer and outbox
series say nothing of which incident they served and count every one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.incidents.lifecycle import OPEN_STATUSES
from firebell.incidents.visibility import public_only
from firebell.store.models import Incident, TimelineEvent, Timer
from firebell.store.models import Message as OutboxMessage

SEVERITIES = ("P0", "P1", "P2", "P3")
DELIVERY_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """end - start in seconds, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        # julianday is a double of days: rounding to the millisecond removes its noise.
        return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3), Float)
    return cast(func.extract("epoch", end - start), Float)


def _bound(value: float) -> str:
    """A bucket bound as Prometheus writes it: 5 -> "5.0", 0.25 -> "0.25"."""
    return repr(float(value))


def _histogram(
    session: Session,
    name: str,
    doc: str,
    label: str,
    key: Any,
    delay: ColumnElement[float],
    where: Iterable[ColumnElement[bool]],
    buckets: tuple[float, ...],
) -> HistogramMetricFamily:
    """One query: per label value, the count at or under each bucket bound, sum, count."""
    columns = [func.sum(case((delay <= bound, 1), else_=0)) for bound in buckets]
    rows = session.execute(
        select(key, func.count(), func.coalesce(func.sum(delay), literal(0.0)), *columns)
        .where(*where)
        .group_by(key)
    ).all()
    family = HistogramMetricFamily(name, doc, labels=[label])
    for row in rows:
        value, count, total, *cumulative = row
        points = [(_bound(b), float(c or 0)) for b, c in zip(buckets, cumulative, strict=True)]
        points.append(("+Inf", float(count)))
        family.add_metric([str(value)], points, sum_value=float(total or 0))
    return family


class StoreCollector(Collector):
    """Reads incidents, pages, timers and the outbox at scrape time."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.now = now

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield from self._incidents(session)
            yield from self._pages(session)
            yield from self._timers(session)
            yield from self._outbox(session)
            yield self._breaches(session)

    @staticmethod
    def _incidents(session: Session) -> Iterator[Metric]:
        real = and_(Incident.drill.is_(False), public_only())
        open_counts = dict(
            session.execute(
                select(Incident.severity, func.count())
                .where(real, Incident.status.in_(OPEN_STATUSES))
                .group_by(Incident.severity)
            ).all()
        )
        gauge = GaugeMetricFamily(
            "firebell_open_incidents", "Open incidents (drills excluded).", labels=["severity"]
        )
        for sev in SEVERITIES:
            gauge.add_metric([sev], float(open_counts.get(sev, 0)))
        yield gauge
        declared = dict(
            session.execute(
                select(Incident.severity, func.count()).where(real).group_by(Incident.severity)
            ).all()
        )
        counter = CounterMetricFamily(
            "firebell_incidents_declared",
            "Incidents declared (drills excluded), by current severity.",
            labels=["severity"],
        )
        for sev in SEVERITIES:
            counter.add_metric([sev], float(declared.get(sev, 0)))
        yield counter

    @staticmethod
    def _pages(session: Session) -> Iterator[Metric]:
        page = OutboxMessage.purpose == "page"
        counter = CounterMetricFamily(
            "firebell_pages",
            "Pages by channel and outcome (sent, failed, possibly_sent).",
            labels=["channel", "result"],
        )
        for method, status, count in session.execute(
            select(OutboxMessage.method, OutboxMessage.status, func.count())
            .where(page, OutboxMessage.status.in_(("sent", "failed", "possibly_sent")))
            .group_by(OutboxMessage.method, OutboxMessage.status)
        ):
            counter.add_metric([method, status], float(count))
        yield counter
        delay = seconds_between(session, OutboxMessage.not_before, OutboxMessage.sent_at)
        yield _histogram(
            session,
            "firebell_page_delivery_seconds",
            "From when a page was due to when its channel accepted it.",
            "channel",
            OutboxMessage.method,
            delay,
            [page, OutboxMessage.status == "sent", OutboxMessage.sent_at.is_not(None)],
            DELIVERY_BUCKETS,
        )

    def _timers(self, session: Session) -> Iterator[Metric]:
        lateness = seconds_between(session, Timer.due_at, Timer.fired_at)
        yield _histogram(
            session,
            "firebell_timer_lateness_seconds",
            "How late timers fired after their due time.",
            "kind",
            Timer.kind,
            lateness,
            [Timer.fired_at.is_not(None)],
            LATENESS_BUCKETS,
        )
        overdue = session.scalar(
            select(func.count()).where(Timer.status == "pending", Timer.due_at < self.now())
        )
        yield GaugeMetricFamily(
            "firebell_timers_overdue", "Pending timers past their due time.", value=overdue or 0
        )

    def _outbox(self, session: Session) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "firebell_outbox_backlog", "Messages waiting in the outbox.", labels=["status"]
        )
        counts = dict(
            session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_(("pending", "sending")))
                .group_by(OutboxMessage.status)
            ).all()
        )
        for status in ("pending", "sending"):
            gauge.add_metric([status], float(counts.get(status, 0)))
        yield gauge
        oldest = session.scalar(
            select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending")
        )
        age = max(0.0, (self.now() - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily(
            "firebell_outbox_oldest_pending_seconds",
            "Age of the oldest message due and not yet sent.",
            value=age,
        )

    @staticmethod
    def _breaches(session: Session) -> Metric:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for severity, details in session.execute(
            select(Incident.severity, TimelineEvent.details)
            .join(Incident, Incident.id == TimelineEvent.incident_id)
            .where(TimelineEvent.kind == "sla_breached", Incident.drill.is_(False), public_only())
        ):
            clock = str(details.get("clock", "unknown")) if isinstance(details, dict) else "unknown"
            counts[(str(details.get("severity", severity)), clock)] += 1
        counter = CounterMetricFamily(
            "firebell_sla_breaches", "SLA clocks that ran out.", labels=["severity", "clock"]
        )
        for (severity, clock), count in sorted(counts.items()):
            counter.add_metric([severity, clock], float(count))
        return counter


# --- intake events, counted in the process ---------------------------------------------


def intake_result(status: int) -> str:
    if status < 400:
        return "accepted"
    if status in (401, 403, 404):
        return "unknown_key"
    if status == 429:
        return "rate_limited"
    if status < 500:
        return "invalid"
    return "error"


class IntakeCounter:
    """ASGI middleware counting intake requests by format, integration and result.
    The integration key in a URL is a secret: only the integration's id is a label."""

    def __init__(self, app: ASGIApp, counter: Counter, lookup: Callable[[str], str]) -> None:
        self.app = app
        self.counter = counter
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        labels = self._labels(scope) if scope["type"] == "http" else None
        if labels is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.counter.labels(*labels, intake_result(status)).inc()

    def _labels(self, scope: Scope) -> tuple[str, str] | None:
        path: str = scope["path"]
        if path == "/v2/enqueue":
            return "pagerduty", ""
        if path == "/v2/alerts":
            return "opsgenie", ""
        if path.startswith("/api/v1/intake/"):
            parts = path.split("/")
            if len(parts) == 6:
                return parts[4][:32], self.lookup(parts[5])
        return None


def build_registry(
    sessions: sessionmaker[Session], now: Callable[[], datetime]
) -> tuple[CollectorRegistry, Counter]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(sessions, now))
    intake = Counter(
        "firebell_intake_events",
        "Intake requests by format, integration and result (this process).",
        ["format", "integration", "result"],
        registry=registry,
    )
    return registry, intake
