"""The cost of private-incident visibility and of the template limits.

    python bench/visibility.py [--incidents 20000] [--repeat 50]

On a SQLite file: `--incidents` incidents (10% private, each with two role holders and a
task), then `IncidentService.search` (the API's list and count) for an admin (no filter),
a member of some private incidents, and an outsider, `--repeat` times each; and the
default playbook's `initial.internal` template rendered 2,000 times with the limits.
Targets: listing 50 of 20,000 incidents < 50 ms p50 for anyone; a render < 2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import Targets, machine
from sqlalchemy import insert

from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.comms import context as ctx
from firebell.comms.render import render
from firebell.config import Settings
from firebell.incidents.service import IncidentFilter
from firebell.runtime import build_runtime
from firebell.store.db import transaction
from firebell.store.models import Incident, RoleAssignment, Task

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(machine())
    targets = Targets()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(
            home=home, database_url=f"sqlite:///{home / 'fb.db'}", playbook_path=None
        )
        runtime = build_runtime(settings, FrozenClock(NOW))
        rows = [
            {
                "title": f"incident {n}",
                "severity": "P2",
                "status": "investigating",
                "private": n % 10 == 0,
                "drill": False,
                "created_by": f"user{n % 50}",
                "playbook_version": runtime.playbook.version,
                "declared_at": NOW - timedelta(minutes=n),
                "updated_at": NOW,
                "facts": {},
            }
            for n in range(args.incidents)
        ]
        with transaction(runtime.sessions) as session:
            session.execute(insert(Incident), rows)
            session.execute(
                insert(RoleAssignment),
                [
                    {
                        "incident_id": n + 1,
                        "role": role,
                        "person": f"user{(n + k) % 50}",
                        "assigned_at": NOW,
                        "assigned_by": "bench",
                    }
                    for n in range(args.incidents)
                    for k, role in ((1, "scribe"), (2, "tech_lead"))
                ],
            )
            session.execute(
                insert(Task),
                [
                    {
                        "incident_id": n + 1,
                        "assignee": f"user{(n + 3) % 50}",
                        "text": "x",
                        "status": "assigned",
                        "created_at": NOW,
                        "created_by": "bench",
                    }
                    for n in range(args.incidents)
                ],
            )
        for who in (
            Principal("root", "admin"),
            Principal("user7", "responder"),
            Principal("outsider", "viewer"),
        ):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                page = runtime.incidents.search(IncidentFilter(limit=50), who)
                times.append((time.perf_counter() - started) * 1000)
            p50 = statistics.median(times)
            print(
                f"list 50 of {args.incidents} as {who.name} ({who.role}): "
                f"p50 {p50:.1f} ms, max {max(times):.1f} ms, total {page.total}"
            )
            targets.check(f"list as {who.name} p50", p50, "<", 50, " ms")
        with runtime.sessions() as session:
            incident = session.get(Incident, 2)
            assert incident is not None
            incident.facts = {"impact": "checkout", "actions": ["rolled back"]}
            incident.commander = "primary-engineer-1"
            template = runtime.playbook.playbook.communications.templates["initial"]
            source = template.variants["internal"].body or ""
            context = ctx.build(runtime.playbook.playbook, incident, NOW, NOW)
        started = time.perf_counter()
        for _ in range(2000):
            render("initial.internal", source, context)
        per = (time.perf_counter() - started) / 2000 * 1000
        print(f"render initial.internal with limits: {per:.3f} ms each")
        targets.check("render initial.internal", per, "<", 2, " ms")
        runtime.close()
    return targets.exit()


if __name__ == "__main__":
    raise SystemExit(main())
