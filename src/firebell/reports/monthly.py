"""The seed's monthly incident review as a document: incidents by severity, MTTA/MTTR
against targets with a six-month trend, SLA breaches, repeat incidents, post-mortems
overdue, action items open and overdue, on-call load.

Pure: a `MonthlyReview` (metrics already computed) in, Markdown and SVG charts out.
Charts appear in the Markdown as ``[[chart:NAME]]`` markers, which the writer turns into
image links (Markdown) or inline figures (HTML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from firebell.postmortems.draft import cell
from firebell.reports.charts import Series, TargetLine, bar_chart, line_chart
from firebell.reports.metrics import GroupMetrics, IncidentRef, Metrics, Target
from firebell.reports.units import duration, pct

SEVERITIES = ("P0", "P1", "P2", "P3")
MARKER = re.compile(r"\[\[chart:([a-z_]+)\]\]")
LIST_LIMIT = 25
REPEAT_LIMIT = 10


@dataclass(frozen=True)
class OverduePostmortem:
    incident: IncidentRef
    due_at: datetime
    state: str


@dataclass(frozen=True)
class OpenItem:
    id: int
    incident: int
    title: str
    owner: str
    priority: str
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class MonthlyReview:
    month: str  # YYYY-MM
    generated_at: datetime
    metrics: Metrics
    trend: list[tuple[str, Metrics]]  # oldest first; the last is `month`
    targets: dict[str, Target]
    overdue_postmortems: list[OverduePostmortem]
    open_items: list[OpenItem]


def _group(metrics: Metrics, key: str) -> GroupMetrics | None:
    return next((g for g in metrics.groups if g.key == key), None)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _title(ref: IncidentRef) -> str:
    return cell(ref.title)


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


# --- charts ------------------------------------------------------------------------------


def charts(review: MonthlyReview) -> dict[str, str]:
    labels = [month_label(m) for m, _ in review.trend]
    m = review.metrics
    result = {
        "severity": bar_chart(
            f"Incidents by severity, {month_label(review.month)}",
            list(SEVERITIES),
            [Series("incidents", [float(m.by_severity.get(s, 0)) for s in SEVERITIES])],
        ),
    }
    for name, attr, label in (("mtta", "mtta", "MTTA"), ("mttr", "mttr", "MTTR")):
        series, targets = [], []
        for sev in ("P0", "P1"):
            values = []
            for _, metrics in review.trend:
                group = _group(metrics, sev)
                values.append(_minutes(getattr(group, attr).summary.mean) if group else None)
            series.append(Series(f"{sev} mean", values))
            target = getattr(review.targets[sev], attr)
            targets.append(TargetLine(sev, target.approx().total_seconds() / 60))
        result[name] = line_chart(
            f"{label} over 6 months (P0, P1)", labels, series, "minutes", targets
        )
    result["sla"] = line_chart(
        "SLA compliance over 6 months",
        labels,
        [
            Series("response", [t.groups[0].response.percent for _, t in review.trend]),
            Series("resolution", [t.groups[0].resolution.percent for _, t in review.trend]),
        ],
        "% within target",
    )
    load = m.oncall[:10]
    result["oncall"] = bar_chart(
        "On-call load: pages per person",
        [p.person for p in load],
        [
            Series("pages", [float(p.pages) for p in load]),
            Series("outside working hours", [float(p.outside_working_hours) for p in load]),
            Series("sleep hours (22:00-07:00)", [float(p.sleep_hours) for p in load]),
        ],
        "pages",
    )
    return result


# --- the document ------------------------------------------------------------------------


def _targets_table(review: MonthlyReview, attr: str, sla: str) -> list[str]:
    lines = [
        "| Severity | n | mean | median | p90 | p95 | KM median (censored) | target | within SLA |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sev in SEVERITIES:
        g = _group(review.metrics, sev)
        if g is None:
            continue
        metric = getattr(g, attr)
        flag = " ⚠" if metric.meets_target is False else ""
        compliance = getattr(g, sla)
        lines.append(
            f"| {sev} | {g.count} | {duration(metric.summary.mean)}{flag} "
            f"| {duration(metric.summary.median)} | {duration(metric.summary.p90)} "
            f"| {duration(metric.summary.p95)} "
            f"| {duration(metric.km_median)} ({metric.censored}) | {duration(metric.target)} "
            f"| {pct(compliance.percent)} |"
        )
    return lines


def _trend_table(review: MonthlyReview) -> list[str]:
    lines = [
        "| Month | Incidents | P0 MTTA | P1 MTTA | P0 MTTR | P1 MTTR | response SLA "
        "| resolution SLA |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for month, metrics in review.trend:
        cells = [month_label(month), str(metrics.groups[0].count)]
        for attr in ("mtta", "mttr"):
            for sev in ("P0", "P1"):
                g = _group(metrics, sev)
                cells.append(duration(getattr(g, attr).summary.mean) if g else "-")
        overall = metrics.groups[0]
        cells += [pct(overall.response.percent), pct(overall.resolution.percent)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(review: MonthlyReview) -> str:
    m = review.metrics
    total = m.groups[0].count
    out = [
        f"# Monthly incident review: {month_label(review.month)}",
        "",
        f"Incidents declared from {m.scope.since:%Y-%m-%d} to {m.scope.until:%Y-%m-%d} "
        f"(UTC), as of {m.scope.as_of:%Y-%m-%d %H:%M} UTC. Drills excluded "
        f"({m.drills_excluded}). Durations: mean, median, 90th percentile; the "
        "Kaplan-Meier median also counts incidents never acknowledged or still open "
        "(censored, in brackets).",
        "",
        "## Incidents by severity",
        "",
        "| Severity | Incidents | Share |",
        "|---|---|---|",
    ]
    for sev in SEVERITIES:
        n = m.by_severity.get(sev, 0)
        out.append(f"| {sev} | {n} | {pct(100 * n / total if total else None)} |")
    out += [f"| **all** | **{total}** | |", "", "[[chart:severity]]", ""]
    out += ["## MTTA and MTTR against targets", "", "### Time to acknowledge (MTTA)", ""]
    out += [*_targets_table(review, "mtta", "response"), ""]
    out += ["### Time to resolve (MTTR)", "", *_targets_table(review, "mttr", "resolution"), ""]
    out += [
        "⚠ marks a mean over its target. *Within SLA*: share of the incidents judged "
        "so far that were acknowledged (resolved) within the response (resolution) "
        "time.",
        "",
        "### Trend over the last 6 months",
        "",
    ]
    out += [*_trend_table(review), "", "[[chart:mtta]]", "", "[[chart:mttr]]", ""]
    out += [
        "## SLA breaches",
        "",
        f"{len(m.breaches)} incidents breached a target "
        f"(response {m.groups[0].response.breached}, "
        f"resolution {m.groups[0].resolution.breached}).",
        "",
        "[[chart:sla]]",
        "",
    ]
    if m.breaches:
        out += [
            "| # | Severity | Service | Title | Response | Resolution |",
            "|---|---|---|---|---|---|",
        ]
        for b in m.breaches[:LIST_LIMIT]:
            out.append(
                f"| {b.incident.number} | {b.incident.severity} | {b.incident.service or '-'} "
                f"| {_title(b.incident)} | {'breached' if b.response else 'ok'} "
                f"| {'breached' if b.resolution else 'ok'} |"
            )
        if len(m.breaches) > LIST_LIMIT:
            out.append(f"\n… and {len(m.breaches) - LIST_LIMIT} more.")
        out.append("")
    out += ["## Repeat incidents", ""]
    if m.repeats:
        biggest = sorted(m.repeats, key=lambda r: -len(r.incidents))[:REPEAT_LIMIT]
        out += [
            f"{len(m.repeats)} groups of incidents share a service and root cause, or "
            f"were linked; the largest {len(biggest)}:",
            "",
        ]
        out += ["| Service | Root cause | Incidents |", "|---|---|---|"]
        for r in biggest:
            numbers = ", ".join(f"#{i.number}" for i in r.incidents)
            out.append(
                f"| {r.service or 'several'} | {cell(r.root_cause or 'linked')} | {numbers} |"
            )
    else:
        out.append("None this month.")
    pm = m.postmortems
    out += [
        "",
        "## Post-mortems",
        "",
        f"Due this month: {pm.on_time + pm.late + pm.overdue}; published on time "
        f"{pm.on_time}, late {pm.late}, not yet published {pm.overdue} "
        f"(on-time rate {pct(pm.percent)}).",
        "",
    ]
    if review.overdue_postmortems:
        out += [
            "Overdue now:",
            "",
            "| # | Severity | Title | Due | State |",
            "|---|---|---|---|---|",
        ]
        for o in review.overdue_postmortems[:LIST_LIMIT]:
            out.append(
                f"| {o.incident.number} | {o.incident.severity} | {_title(o.incident)} "
                f"| {o.due_at:%Y-%m-%d} | {o.state} |"
            )
        out.append("")
    overdue_items = [i for i in review.open_items if i.overdue]
    ai = m.action_items
    out += [
        "## Action items",
        "",
        f"Completion by due date: {pct(ai.percent)} of {ai.on_time + ai.late + ai.overdue} "
        f"due this month. Open now: {len(review.open_items)}, of which overdue: "
        f"{len(overdue_items)}.",
        "",
    ]
    if overdue_items:
        out += ["| Id | # | Action | Owner | Priority | Due |", "|---|---|---|---|---|---|"]
        for i in overdue_items[:LIST_LIMIT]:
            due = f"{i.due_at:%Y-%m-%d}" if i.due_at else "-"
            title, owner = cell(i.title), cell(i.owner)
            out.append(f"| {i.id} | {i.incident} | {title} | @{owner} | {i.priority} | {due} |")
        out.append("")
    out += ["## On-call load", ""]
    if m.oncall:
        out += [
            "| Person | Pages | Outside working hours | Sleep hours (22:00-07:00) |",
            "|---|---|---|---|",
        ]
        for p in m.oncall:
            out.append(f"| {p.person} | {p.pages} | {p.outside_working_hours} | {p.sleep_hours} |")
        out += ["", "[[chart:oncall]]"]
    else:
        out.append("Nobody was paged.")
    return "\n".join(out) + "\n"


def markdown_with_images(text: str, folder: str) -> str:
    return MARKER.sub(lambda m: f"![{m.group(1)} chart]({folder}/{m.group(1)}.svg)", text)


def inline_charts(html: str, svgs: dict[str, str]) -> str:
    """Replace each rendered marker paragraph with its SVG as a figure."""

    def figure(match: re.Match[str]) -> str:
        svg = svgs.get(match.group(1))
        return f"<figure>{Markup(svg)}</figure>" if svg else ""

    return re.sub(r"<p>\[\[chart:([a-z_]+)\]\]</p>", figure, html)
