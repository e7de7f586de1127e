"""CPU cost of the intake edge checks per request, in process (robust to a busy machine).

    python bench/intake_edge.py

For the captured Alertmanager webhook and a PagerDuty event, and for a 1 MiB
Alertmanager payload of 2,000 alerts: `json.loads` alone vs `intake.edge.load_json`
(the same parse plus the NUL / lone-surrogate / nesting checks), and the wrong-key
bucket check. Median of 2,001 runs (51 for the large payload). Target: the checks add
< 5 µs to an ordinary request (a few % of the ~0.4 ms of CPU one costs end to end).
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _common import Targets, machine

from firebell.api.intake_limits import WRONG_KEYS_BURST, WRONG_KEYS_PER_MINUTE
from firebell.api.ratelimit import TokenBuckets
from firebell.intake.edge import load_json

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "alertmanager"


def median_us(work: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def main() -> int:
    print(machine())
    targets = Targets()
    webhook = json.loads((FIXTURES / "webhook-firing.json").read_text())
    big = copy.deepcopy(webhook)
    big["alerts"] = [copy.deepcopy(webhook["alerts"][0]) for _ in range(2000)]
    pd = {
        "routing_key": "k" * 32,
        "event_action": "trigger",
        "dedup_key": "disk-full-db-1",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "error"},
    }
    for name, doc, runs in (
        ("alertmanager webhook", webhook, 2001),
        ("pagerduty event", pd, 2001),
        ("alertmanager, 2,000 alerts", big, 51),
    ):
        body = json.dumps(doc).encode()
        plain = median_us(lambda b=body: json.loads(b), runs)
        checked = median_us(lambda b=body: load_json(b), runs)
        print(
            f"  {name:<28} {len(body):>8} B  json.loads {plain:9.1f} µs"
            f"  load_json {checked:9.1f} µs  (+{checked - plain:.1f} µs)"
        )
        if runs > 100:
            targets.check(f"edge check, {name}", checked - plain, "<", 5, " µs")
    buckets = TokenBuckets()
    cost = median_us(
        lambda: buckets.wait("wrong-key:203.0.113.9", WRONG_KEYS_PER_MINUTE, WRONG_KEYS_BURST),
        2001,
    )
    print(f"  wrong-key lock-out check {cost:.1f} µs")
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
