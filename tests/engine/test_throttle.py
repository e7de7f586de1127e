"""Per-method throttles hold messages back (never drop them) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from firebell.channels.base import Outgoing
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.runtime import build_runtime
from firebell.store.db import transaction
from firebell.store.models import Message


class Recorder:
    method = "push"

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message.id)


def test_throttle_delays_the_third_push_to_one_address(
    database_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    text = (Path(__file__).resolve().parents[2] / "src/firebell/playbook/default.yaml").read_text()
    text = text.replace("    sms: {count: 1, per: 1m}\n", "    push: {count: 2, per: 1m}\n")
    playbook = tmp_path / "p.yaml"
    playbook.write_text(text)
    rt = build_runtime(
        Settings(home=tmp_path, database_url=database_url, playbook_path=playbook),
        clock,
        migrate=False,
    )
    recorder = Recorder()
    rt.channels["push"] = recorder
    try:
        now = clock.now()
        with transaction(rt.sessions) as session:
            for i, address in enumerate(["alice-phone"] * 3 + ["bob-phone"]):
                session.add(
                    Message(
                        incident_id=None,
                        purpose="handoff",
                        person=None,
                        method="push",
                        address=address,
                        subject="s",
                        body="b",
                        payload={},
                        dedupe_key=f"t{i}",
                        status="pending",
                        attempts=0,
                        not_before=now,
                        lease_until=None,
                        created_at=now,
                        sent_at=None,
                        last_error=None,
                    )
                )
        rt.engine.deliver_due()
        rt.engine.deliver_due()
        with rt.sessions() as session:
            rows = {r.dedupe_key: r for r in session.scalars(select(Message))}
        assert [rows[k].status for k in ("t0", "t1", "t2", "t3")] == [
            "sent",
            "sent",
            "pending",
            "sent",
        ]
        assert rows["t2"].not_before > now
        for _ in range(59):  # the engine keeps polling; the third waits its minute
            clock.advance(timedelta(seconds=1))
            rt.engine.deliver_due()
        assert len(recorder.sent) == 3
        clock.advance(timedelta(seconds=1))
        rt.engine.deliver_due()
        assert len(recorder.sent) == 4
        assert datetime(2026, 11, 26, 12, 1, tzinfo=UTC) == clock.now()
    finally:
        rt.close()
