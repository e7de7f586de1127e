"""`firebell doctor` on the admin page (its routes are in `views/catalog.py`).

Choice: each load of the admin page runs the doctor's *static* checks only (the
playbook, configured channels, the database's reachability and schema, integrations
heard from — no network, about 30 ms once the migration head is cached), so the page
stays fast and never waits on an SMTP server or a chat API. The *live* probes (SMTP
login, Slack, Twilio, the database server's clock) run only when an admin asks, with
the "Run live checks" button, and their answer is shown on that response, not cached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from firebell.doctor.findings import Finding, Level, worst
from firebell.doctor.run import diagnose
from firebell.runtime import Runtime

ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.OK: 2}


@dataclass(frozen=True)
class DoctorReport:
    findings: tuple[Finding, ...]  # errors first, then warnings, then what is fine
    live: bool  # the live probes ran too
    worst: Level
    counts: dict[str, int]


def report(findings: list[Finding], live: bool) -> DoctorReport:
    ordered = tuple(sorted(findings, key=lambda f: ORDER[f.level]))
    counts = Counter(str(f.level) for f in findings)
    return DoctorReport(ordered, live, worst(findings), dict(counts))


def doctor_report(runtime: Runtime, live: bool = False) -> DoctorReport:
    return report(diagnose(runtime, live=live), live)
