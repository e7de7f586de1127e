"""A real engine process that SIGKILLs itself at one chosen point of its work.

Run by test_crash_points.py: ``python _crash_child.py DATABASE_URL POINT N``. POINT is
where the N-th occurrence kills the process: ``before_lease`` (entering the N-th claim),
``after_lease`` (the N-th claim committed), ``before_call`` (the N-th send recorded as
started, before its network call), ``after_send`` (the N-th network call answered, its
outcome not yet recorded), ``after_settle`` (the N-th outcome committed). ``none`` runs
until the outbox is empty. The ``mid_send`` point is made by the test itself: it kills
this process while the receiver holds the N-th request open.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter

from firebell.channels.base import DeliveryError, Outgoing
from firebell.channels.webhook import WebhookChannel
from firebell.clock import SystemClock
from firebell.engine.worker import Engine
from firebell.store.db import make_engine, make_sessionmaker

BATCH = 4  # small batches: a run crosses several leases


class CrashingEngine(Engine):
    point: str = "none"
    at: int = 0
    seen: Counter[str]

    def hit(self, point: str) -> None:
        self.seen[point] += 1
        if point == self.point and self.seen[point] == self.at:
            os.kill(os.getpid(), signal.SIGKILL)

    def claim(self) -> list[Outgoing]:
        self.hit("before_lease")
        claimed = super().claim()
        if claimed:
            self.hit("after_lease")
        return claimed

    def _settle(self, message_id: int, error: DeliveryError | None) -> None:
        super()._settle(message_id, error)
        self.hit("after_settle")


class CrashingWebhook(WebhookChannel):
    def __init__(self, engine: CrashingEngine) -> None:
        super().__init__("crash-test-secret", timeout=30)
        self.engine = engine

    def send(self, message: Outgoing) -> None:
        self.engine.hit("before_call")
        super().send(message)
        self.engine.hit("after_send")


def main(url: str, point: str, at: int) -> None:
    engine = CrashingEngine(make_sessionmaker(make_engine(url)), SystemClock(), {}, batch=BATCH)
    engine.point, engine.at, engine.seen = point, at, Counter()
    engine.channels = {"webhook": CrashingWebhook(engine)}
    for _ in range(1000):  # bounded: the test's outbox empties in a few rounds
        if engine.run_once() == 0:
            return


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
