"""Incident metrics as a pure function of a history, a period, the playbook's targets
and the instant we look from.

* MTTA = declared -> acknowledged, MTTR = declared -> resolved, MTTD = impact started ->
  detected (only where the impact start is known).
* An incident never acknowledged, or not yet resolved, is a *censored* observation: we
  know only that its duration is at least (its resolution, or `as_of`) minus its
  declaration. Naive figures use the observed durations only; beside them a
  Kaplan-Meier median uses every incident, with the number censored.
* SLA: the response is met when the incident was acknowledged (or resolved, which
  answers it too) by `declared + response_time`; the resolution when resolved by
  `declared + resolution_time`. An incident still inside its window is *pending* and
  left out of the compliance percentage; one past it with no answer is a breach.
* Drills are excluded from every figure. Private incidents are *excluded* from the
  figures of whoever may not see them (as PagerDuty and incident.io do): the history
  given here is already what the reader may see (`reports.service.load_history` filters
  it with `incidents.visibility`), so counts never reveal that one exists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from firebell.playbook.durations import Span
from firebell.reports.stats import Observation, Summary, kaplan_meier_median, summarise

SLEEP_START = time(22, 0)
SLEEP_END = time(7, 0)


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRecord:
    number: int
    title: str
    severity: str
    service: str | None
    declared_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    impact_started_at: datetime | None = None
    detected_at: datetime | None = None
    private: bool = False
    drill: bool = False
    root_cause: str | None = None
    linked: tuple[int, ...] = ()


@dataclass(frozen=True)
class PageRecord:
    """One page of one person (however many contact methods it used)."""

    person: str
    at: datetime
    incident: int
    drill: bool = False


@dataclass(frozen=True)
class PostmortemRecord:
    incident: int
    due_at: datetime | None
    published_at: datetime | None


@dataclass(frozen=True)
class ActionItemRecord:
    id: int
    owner: str
    due_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class Target:
    response: Span
    resolution: Span
    mtta: Span
    mttr: Span


@dataclass(frozen=True)
class WorkingHours:
    """Working days (0 = Monday) and hours, read in each person's own time zone."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class History:
    incidents: Sequence[IncidentRecord]
    pages: Sequence[PageRecord] = ()
    postmortems: Sequence[PostmortemRecord] = ()
    action_items: Sequence[ActionItemRecord] = ()


@dataclass(frozen=True)
class Scope:
    """What to measure: incidents declared in [since, until), optionally one severity
    and/or one service, looked at from `as_of`."""

    since: datetime
    until: datetime
    as_of: datetime
    severity: str | None = None
    service: str | None = None


# --- outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationMetric:
    summary: Summary
    km_median: float | None
    censored: int
    target: float | None = None  # seconds

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.summary.mean is None:
            return None
        return self.summary.mean <= self.target


@dataclass(frozen=True)
class Compliance:
    met: int
    breached: int
    pending: int

    @property
    def percent(self) -> float | None:
        judged = self.met + self.breached
        return 100.0 * self.met / judged if judged else None


@dataclass(frozen=True)
class GroupMetrics:
    dimension: str  # all | severity | service
    key: str
    count: int
    mtta: DurationMetric
    mttr: DurationMetric
    mttd: DurationMetric
    response: Compliance
    resolution: Compliance


@dataclass(frozen=True)
class IncidentRef:
    number: int
    title: str
    severity: str
    service: str | None


@dataclass(frozen=True)
class Breach:
    incident: IncidentRef
    response: bool
    resolution: bool


@dataclass(frozen=True)
class RepeatGroup:
    service: str | None
    root_cause: str | None
    incidents: list[IncidentRef]


@dataclass(frozen=True)
class Rate:
    """Things due in the period: done in time, done late, still open past due."""

    on_time: int
    late: int
    overdue: int

    @property
    def percent(self) -> float | None:
        total = self.on_time + self.late + self.overdue
        return 100.0 * self.on_time / total if total else None


@dataclass(frozen=True)
class PersonLoad:
    person: str
    pages: int
    outside_working_hours: int
    sleep_hours: int


@dataclass(frozen=True)
class Metrics:
    scope: Scope
    groups: list[GroupMetrics]
    breaches: list[Breach]
    repeats: list[RepeatGroup]
    postmortems: Rate
    action_items: Rate
    oncall: list[PersonLoad]
    drills_excluded: int = 0
    open_action_items: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)


# --- the calculation ---------------------------------------------------------------------


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def _duration(
    incidents: Iterable[IncidentRecord], end_of: str, as_of: datetime, target: Span | None
) -> DurationMetric:
    observed: list[float] = []
    everything: list[Observation] = []
    for incident in incidents:
        end: datetime | None = getattr(incident, end_of)
        if end is not None:
            value = max(0.0, _seconds(incident.declared_at, end))
            observed.append(value)
            everything.append(Observation(value, True))
        else:
            # Still waiting: never acknowledged (censored at its resolution, after which
            # nobody will acknowledge it) or still open (censored now).
            stop = incident.resolved_at if end_of == "acknowledged_at" else None
            stop = stop or as_of
            everything.append(Observation(max(0.0, _seconds(incident.declared_at, stop)), False))
    return DurationMetric(
        summarise(observed),
        kaplan_meier_median(everything),
        sum(1 for o in everything if not o.observed),
        target.approx().total_seconds() if target else None,
    )


def _detection(incidents: Iterable[IncidentRecord]) -> DurationMetric:
    values = [
        _seconds(i.impact_started_at, i.detected_at)
        for i in incidents
        if i.impact_started_at is not None
        and i.detected_at is not None
        and i.detected_at >= i.impact_started_at
    ]
    return DurationMetric(summarise(values), None, 0)


def _judge(deadline: datetime, answered: datetime | None, as_of: datetime) -> str:
    if answered is not None:
        return "met" if answered <= deadline else "breached"
    return "breached" if as_of > deadline else "pending"


def sla_verdicts(incident: IncidentRecord, target: Target, as_of: datetime) -> tuple[str, str]:
    """(response, resolution) verdicts: met, breached or pending."""
    answers = [t for t in (incident.acknowledged_at, incident.resolved_at) if t is not None]
    response = _judge(
        target.response.after(incident.declared_at), min(answers) if answers else None, as_of
    )
    resolution = _judge(target.resolution.after(incident.declared_at), incident.resolved_at, as_of)
    return response, resolution


def _compliance(verdicts: Iterable[str]) -> Compliance:
    counted = list(verdicts)
    return Compliance(counted.count("met"), counted.count("breached"), counted.count("pending"))


def _group(
    dimension: str,
    key: str,
    incidents: list[IncidentRecord],
    judged: dict[int, tuple[str, str]],
    as_of: datetime,
    target: Target | None,
) -> GroupMetrics:
    verdicts = [judged[i.number] for i in incidents]
    return GroupMetrics(
        dimension=dimension,
        key=key,
        count=len(incidents),
        mtta=_duration(incidents, "acknowledged_at", as_of, target.mtta if target else None),
        mttr=_duration(incidents, "resolved_at", as_of, target.mttr if target else None),
        mttd=_detection(incidents),
        response=_compliance(v[0] for v in verdicts),
        resolution=_compliance(v[1] for v in verdicts),
    )


def _ref(incident: IncidentRecord) -> IncidentRef:
    return IncidentRef(incident.number, incident.title, incident.severity, incident.service)


def repeat_groups(incidents: Sequence[IncidentRecord]) -> list[RepeatGroup]:
    """Incidents of the same service with the same root cause, or linked to each other
    (transitively): every group of two or more."""
    parent = {i.number: i.number for i in incidents}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    by_cause: dict[tuple[str | None, str], int] = {}
    for incident in incidents:
        cause = (incident.root_cause or "").strip().lower()
        if cause:
            key = (incident.service, cause)
            if key in by_cause:
                union(incident.number, by_cause[key])
            else:
                by_cause[key] = incident.number
        for other in incident.linked:
            if other in parent:
                union(incident.number, other)
    members: dict[int, list[IncidentRecord]] = defaultdict(list)
    for incident in incidents:
        members[find(incident.number)].append(incident)
    groups = []
    for group in members.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda i: i.number)
        services = {i.service for i in group}
        causes = {(i.root_cause or "").strip() for i in group} - {""}
        groups.append(
            RepeatGroup(
                services.pop() if len(services) == 1 else None,
                causes.pop() if len(causes) == 1 else None,
                [_ref(i) for i in group],
            )
        )
    groups.sort(key=lambda g: g.incidents[0].number)
    return groups


def _due_rate(items: Iterable[tuple[datetime | None, datetime | None]], scope: Scope) -> Rate:
    """Of the things due in the period (and due by `as_of`): on time, late, overdue."""
    on_time = late = overdue = 0
    for due, done in items:
        if due is None or not (scope.since <= due < scope.until) or due > scope.as_of:
            continue
        if done is not None and done <= due:
            on_time += 1
        elif done is not None:
            late += 1
        else:
            overdue += 1
    return Rate(on_time, late, overdue)


def is_working_time(local: datetime, hours: WorkingHours) -> bool:
    return local.weekday() in hours.days and hours.start <= local.time() < hours.end


def is_sleep_time(local: datetime) -> bool:
    moment = local.time()
    return moment >= SLEEP_START or moment < SLEEP_END


def oncall_load(
    pages: Iterable[PageRecord], zones: dict[str, str], hours: WorkingHours, scope: Scope
) -> list[PersonLoad]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for page in pages:
        if page.drill or not (scope.since <= page.at < scope.until):
            continue
        local = page.at.astimezone(ZoneInfo(zones.get(page.person, "UTC")))
        row = counts[page.person]
        row[0] += 1
        row[1] += 0 if is_working_time(local, hours) else 1
        row[2] += 1 if is_sleep_time(local) else 0
    return [
        PersonLoad(person, *row)
        for person, row in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]


def in_scope(incident: IncidentRecord, scope: Scope) -> bool:
    return (
        scope.since <= incident.declared_at < scope.until
        and (scope.severity is None or incident.severity == scope.severity)
        and (scope.service is None or incident.service == scope.service)
    )


def compute(
    history: History,
    scope: Scope,
    targets: dict[str, Target],
    zones: dict[str, str],
    hours: WorkingHours,
) -> Metrics:
    chosen = [i for i in history.incidents if in_scope(i, scope)]
    real = [i for i in chosen if not i.drill]
    judged = {i.number: sla_verdicts(i, targets[i.severity], scope.as_of) for i in real}
    groups = [_group("all", "all", real, judged, scope.as_of, None)]
    for severity in sorted(targets):
        members = [i for i in real if i.severity == severity]
        if members:
            groups.append(
                _group("severity", severity, members, judged, scope.as_of, targets[severity])
            )
    services = sorted({i.service for i in real if i.service is not None})
    for service in services:
        members = [i for i in real if i.service == service]
        groups.append(_group("service", service, members, judged, scope.as_of, None))
    breaches = []
    for incident in real:
        response, resolution = judged[incident.number]
        if "breached" in (response, resolution):
            breaches.append(
                Breach(
                    _ref(incident),
                    response == "breached",
                    resolution == "breached",
                )
            )
    breaches.sort(key=lambda b: b.incident.number)
    drills = {i.number for i in history.incidents if i.drill}
    return Metrics(
        scope=scope,
        groups=groups,
        breaches=breaches,
        repeats=repeat_groups(real),
        postmortems=_due_rate(
            ((p.due_at, p.published_at) for p in history.postmortems if p.incident not in drills),
            scope,
        ),
        action_items=_due_rate(((a.due_at, a.done_at) for a in history.action_items), scope),
        oncall=oncall_load(
            (p for p in history.pages if p.incident not in drills), zones, hours, scope
        ),
        drills_excluded=len(chosen) - len(real),
        open_action_items=sum(1 for a in history.action_items if a.done_at is None),
        by_severity={s: sum(1 for i in real if i.severity == s) for s in sorted(targets)},
    )
