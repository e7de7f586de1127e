"""CPU cost of the intake edge checks per request, in process (robust to a busy machine).

    python bench/intake_edge.py

For the captured Alertmanager webhook and a PagerDuty event, and for a 1 MiB
Alertmanager payload of 2,000 alerts: `json.loads`, and what `intake.edge.load_json`
adds to it (the NUL / lone-surrogate / nesting checks), and the wrong-key
bucket check. Per call, best of 21 rounds of 2,001 calls (3 for the large payload).
Target: for an ordinary request the checks cost < 50 % of parsing its JSON (absolute
figures on a loaded 2-core machine swing several-fold run to run; the ratio does not).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _common import Targets, machine

from firebell.api.intake_limits import WRONG_KEYS_BURST, WRONG_KEYS_PER_MINUTE
from firebell.api.ratelimit import TokenBuckets
from firebell.intake.edge import check_document

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "alertmanager"


def median_us(work: Callable[[], object], runs: int) -> float:
    """Per call: the best of 21 rounds of `runs` calls (the machine is shared; the best
    round is the one least disturbed by others)."""
    rounds = []
    for _ in range(21):
        started = time.perf_counter()
        for _ in range(runs):
            work()
        rounds.append((time.perf_counter() - started) * 1e6 / runs)
    return min(rounds)


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
        ("alertmanager, 2,000 alerts", big, 3),
    ):
        body = json.dumps(doc).encode()
        decoded = json.loads(body)
        plain = median_us(lambda b=body: json.loads(b), runs)
        added = median_us(lambda d=decoded, b=body: check_document(d, b), runs)
        print(
            f"  {name:<28} {len(body):>8} B  json.loads {plain:9.1f} µs"
            f"  edge checks +{added:.1f} µs"
        )
        if runs > 100:
            targets.check(f"edge checks / json.loads, {name}", 100 * added / plain, "<", 50, " %")
    buckets = TokenBuckets()
    cost = median_us(
        lambda: buckets.wait("wrong-key:203.0.113.9", WRONG_KEYS_PER_MINUTE, WRONG_KEYS_BURST),
        2001,
    )
    print(f"  wrong-key lock-out check {cost:.1f} µs")
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
