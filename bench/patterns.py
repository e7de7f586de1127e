"""User- and playbook-supplied regular expressions on RE2 (`firebell.patterns`).

    python bench/patterns.py

Times, in process, the checks that froze the server on Python's `re` (issue 9):
a silence `labels.alertname =~ (a+)+b` against a 27-character and a 1 MiB label, and the
default playbook's customer-message leak check over a 30,000-character and a 1 MiB
message. Each figure is the median and the worst of 21 runs after one warm-up.
Target: every check < 50 ms. For scale, Python's `re` on `(a+)+b` is timed at 20 and 22
characters (it doubles per character: ~17 s at 27).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable

from _common import Targets, machine

from firebell.comms.guard import leaks
from firebell.intake.event import AlertEvent
from firebell.intake.routing import Matcher
from firebell.playbook.loader import load_playbook

RUNS = 21


def timed(work: Callable[[], object]) -> tuple[float, float]:
    work()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def event(alertname: str) -> AlertEvent:
    return AlertEvent(
        action="trigger",
        dedup_key="k",
        summary="s",
        source="bench",
        format="alertmanager",
        labels={"alertname": alertname},
    )


def main() -> int:
    print(machine())
    targets = Targets()
    silence = Matcher("labels.alertname", "=~", "(a+)+b")
    rules = load_playbook().playbook.communications
    words = "The checkout service returned errors for some customers while we investigated. "
    cases: list[tuple[str, Callable[[], object]]] = []
    for size, label in ((27, "27 chars"), (1 << 20, "1 MiB")):
        alert = event("a" * size)
        cases.append((f"silence (a+)+b vs {label} label", lambda a=alert: silence.matches(a)))
    for size, label in ((30_000, "30,000-char"), (1 << 20, "1 MiB")):
        text = (words * (size // len(words) + 1))[:size]
        cases.append(
            (
                f"leak check, {label} message",
                lambda t=text: leaks(
                    t,
                    rules.customer_message_forbidden_patterns,
                    rules.customer_message_allowed_patterns,
                ),
            )
        )
    for name, work in cases:
        median, worst = timed(work)
        print(f"  {name:<40} median {median:8.3f} ms  max {worst:8.3f} ms")
        targets.check(name, worst, "<", 50, " ms")
    backtracking = re.compile("(a+)+b")
    for n in (20, 22):
        started = time.perf_counter()
        backtracking.fullmatch("a" * n)
        print(f"  for scale: Python re, (a+)+b vs {n} chars: {time.perf_counter() - started:.2f} s")
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
