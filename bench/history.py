"""A generated incident history (seeded): incidents with realistic acknowledge/resolve
times, some never acknowledged or still open, drills, private ones, repeats by root
cause, pages to people in their time zones, post-mortems and action items.

Used by `bench/metrics.py` (timing) and `bench/example_report.py` (the example report in
docs/). Rows are inserted directly, as a long-running installation would hold them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from firebell.playbook.schema import Playbook
from firebell.postmortems.models import ActionItem, Postmortem
from firebell.store.models import Incident, Message

SEVERITY_WEIGHTS = {"P0": 4, "P1": 18, "P2": 48, "P3": 30}
# Typical minutes to acknowledge / resolve by severity (lognormal medians).
ACK_MEDIAN = {"P0": 4, "P1": 11, "P2": 35, "P3": 600}
RESOLVE_MEDIAN = {"P0": 50, "P1": 150, "P2": 600, "P3": 3000}
CAUSES = [
    "connection pool exhausted",
    "bad deploy",
    "certificate expired",
    "disk full",
    "upstream provider outage",
    "config drift",
    "memory leak",
    "noisy neighbour",
]


def _minutes(rng: random.Random, median: float, spread: float = 0.8) -> timedelta:
    return timedelta(minutes=max(0.3, rng.lognormvariate(0, spread) * median))


def generate(
    sessions: sessionmaker[Session],
    playbook: Playbook,
    month_starts: list[tuple[datetime, int]],
    as_of: datetime,
    seed: int = 14,
) -> int:
    """Insert `count` incidents in each month given as (first instant, count)."""
    rng = random.Random(seed)
    services = [s.id for s in playbook.services]
    responders = [m for r in playbook.on_call.rotations for m in r.members]
    responders = list(dict.fromkeys(responders))
    severities = list(SEVERITY_WEIGHTS)
    weights = list(SEVERITY_WEIGHTS.values())
    incidents: list[dict[str, object]] = []
    pages: list[dict[str, object]] = []
    postmortems: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
    number = 0
    for start, count in month_starts:
        days = 30
        for _ in range(count):
            number += 1
            severity = rng.choices(severities, weights)[0]
            declared = start + timedelta(seconds=rng.uniform(0, days * 86400))
            impact = declared - _minutes(rng, 6) if rng.random() < 0.6 else None
            acked = declared + _minutes(rng, ACK_MEDIAN[severity])
            resolved = declared + _minutes(rng, RESOLVE_MEDIAN[severity])
            if rng.random() < 0.05:
                acked = None  # never acknowledged: resolved by the sender, or still open
            elif acked > resolved:
                acked = resolved
            if resolved > as_of or rng.random() < 0.02:
                resolved = None
            if acked is not None and acked > as_of:
                acked = None
            drill = rng.random() < 0.03
            private = rng.random() < 0.04
            service = rng.choice(services)
            cause = rng.choice(CAUSES) if rng.random() < 0.7 else None
            incidents.append(
                {
                    "id": number,
                    "title": f"{service}: {cause or 'unexplained errors'}",
                    "summary": None,
                    "severity": severity,
                    "status": "resolved" if resolved else "investigating",
                    "service": service,
                    "private": private,
                    "drill": drill,
                    "commander": rng.choice(responders),
                    "created_by": "generator",
                    "playbook_version": "generated",
                    "impact_started_at": impact,
                    "detected_at": declared,
                    "declared_at": declared,
                    "acknowledged_at": acked,
                    "acknowledged_by": rng.choice(responders) if acked else None,
                    "mitigated_at": resolved,
                    "resolved_at": resolved,
                    "closed_at": None,
                    "updated_at": resolved or declared,
                    "facts": {"root_cause": cause} if cause else {},
                }
            )
            if severity in ("P0", "P1"):
                person = rng.choice(responders)
                for level in range(1 if acked and acked - declared < timedelta(minutes=5) else 2):
                    pages.append(
                        {
                            "incident_id": number,
                            "purpose": "page",
                            "person": person if level == 0 else rng.choice(responders),
                            "method": "email",
                            "address": "generated@example.com",
                            "subject": "page",
                            "body": "page",
                            "payload": {},
                            "dedupe_key": f"gen:{number}:{level}",
                            "status": "sent",
                            "attempts": 1,
                            "not_before": declared,
                            "created_at": declared + timedelta(minutes=5 * level),
                            "sent_at": declared + timedelta(minutes=5 * level),
                        }
                    )
                if resolved and not drill:
                    due = resolved + (
                        timedelta(hours=48) if severity == "P0" else timedelta(weeks=1)
                    )
                    roll = rng.random()
                    published = (
                        due - timedelta(hours=rng.uniform(1, 40))
                        if roll < 0.7
                        else (due + timedelta(hours=rng.uniform(1, 60)) if roll < 0.85 else None)
                    )
                    if published is not None and published > as_of:
                        published = None
                    postmortems.append(
                        {
                            "incident_id": number,
                            "state": "published" if published else "draft",
                            "author": rng.choice(responders),
                            "body": "generated",
                            "reviewers": [],
                            "signoffs": {},
                            "revision": 1,
                            "due_at": due,
                            "created_at": resolved,
                            "updated_at": published or resolved,
                            "published_at": published,
                            "meeting_invitees": [],
                            "meeting_attended": [],
                        }
                    )
                    for category in rng.sample(["prevent", "detect", "respond"], k=2):
                        item_due = resolved + timedelta(days=rng.uniform(5, 30))
                        done = (
                            item_due - timedelta(days=rng.uniform(0, 4))
                            if rng.random() < 0.6
                            else None
                        )
                        if done is not None and done > as_of:
                            done = None
                        items.append(
                            {
                                "incident_id": number,
                                "category": category,
                                "title": f"{category}: {cause or 'investigate'} on {service}",
                                "owner": rng.choice(responders),
                                "team": None,
                                "priority": rng.choice(["P0", "P1", "P2"]),
                                "status": "done" if done else "open",
                                "due_at": item_due,
                                "links": [],
                                "created_at": resolved,
                                "created_by": "generator",
                                "updated_at": done or resolved,
                                "done_at": done,
                            }
                        )
    with sessions.begin() as session:
        session.execute(insert(Incident), incidents)
        if pages:
            session.execute(insert(Message), pages)
        if postmortems:
            session.execute(insert(Postmortem), postmortems)
        if items:
            session.execute(insert(ActionItem), items)
    return number


def six_months(last: datetime, last_count: int, seed: int = 14) -> list[tuple[datetime, int]]:
    """Six month starts ending with `last`, the earlier ones with a little fewer incidents."""
    rng = random.Random(seed)
    months = []
    for back in range(5, -1, -1):
        index = last.year * 12 + last.month - 1 - back
        start = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
        months.append((start, last_count if back == 0 else rng.randint(150, 230)))
    return months
