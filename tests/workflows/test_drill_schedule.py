"""The drill programme: planned drills computed from the playbook on local time (DST
included), validated with line numbers, listed by the API and the CLI; reminders to the
organisers through the durable timers and outbox, arriving once, on time, across a
restart. Real SQLite and PostgreSQL, a real SMTP receiver (aiosmtpd)."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from paging._support import (
    SmtpReceiver,
    make_runtime,
    playbook_document,
    smtp_receiver,
)
from ruamel.yaml import YAML
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.auth.tokens import create_token
from firebell.clock import FrozenClock
from firebell.doctor import checks
from firebell.doctor.findings import Level
from firebell.playbook.loader import (
    PlaybookError,
    default_playbook_text,
    load_playbook,
    parse_playbook,
)
from firebell.playbook.schema import Playbook
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import Message, Timer
from firebell.workflows import drill_schedule
from firebell.workflows.drill_reminders import KIND

LONDON = ZoneInfo("Europe/London")


def default() -> Playbook:
    return load_playbook().playbook


def with_schedule(schedule: dict[str, Any]) -> Playbook:
    doc = _document()
    doc["drills"]["schedule"] = schedule
    return parse_playbook(_dump(doc)).playbook


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(io.StringIO(default_playbook_text()))
    return copy.deepcopy(loaded)


def _dump(doc: dict[str, Any]) -> str:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()


def plan(**fields: Any) -> dict[str, Any]:
    return {
        "id": "game-day",
        "scenario": "database-failover",
        "organisers": ["team-lead-1"],
        "participants": ["primary-engineer-1", "dba"],
        **fields,
    }


# --- the pure schedule ----------------------------------------------------------------------


def test_the_default_programme_follows_the_seed_quarter_by_quarter() -> None:
    pb = default()
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    found = drill_schedule.upcoming(pb, now)
    assert [(d.plan, d.starts_at) for d in found] == [
        # the second Tuesday of each quarter's second month, 14:00 (the zone is UTC)
        ("quarterly-database-failover", datetime(2027, 2, 9, 14, 0, tzinfo=UTC)),
        ("quarterly-security-breach", datetime(2027, 5, 11, 14, 0, tzinfo=UTC)),
        ("quarterly-complete-outage", datetime(2027, 8, 10, 14, 0, tzinfo=UTC)),
        # the annual disaster-recovery test: the last Thursday of September
        ("annual-disaster-recovery", datetime(2027, 9, 30, 13, 0, tzinfo=UTC)),
        ("quarterly-third-party-outage", datetime(2027, 11, 9, 14, 0, tzinfo=UTC)),
    ]
    # every seed scenario is practised within a year
    assert {d.scenario for d in found} == {s.id for s in pb.drills.scenarios}
    first = found[0]
    assert first.command == (
        "firebell drill start database-failover "
        "--participants primary-engineer-1,secondary-engineer-1,dba"
    )
    assert [r.due_at for r in drill_schedule.reminders_of(pb, first)] == [
        datetime(2027, 2, 2, 14, 0, tzinfo=UTC),
        datetime(2027, 2, 8, 14, 0, tzinfo=UTC),
    ]


def test_local_wall_clock_time_across_daylight_saving() -> None:
    pb = with_schedule(
        {
            "timezone": "Europe/London",
            "drills": [plan(cadence="monthly", week=2, weekday="tue", at="14:00")],
        }
    )
    now = datetime(2027, 1, 1, tzinfo=UTC)
    found = drill_schedule.upcoming(pb, now, until=datetime(2027, 7, 1, tzinfo=UTC))
    assert [d.local.strftime("%Y-%m-%d %H:%M %Z") for d in found] == [
        "2027-01-12 14:00 GMT",
        "2027-02-09 14:00 GMT",
        "2027-03-09 14:00 GMT",
        "2027-04-13 14:00 BST",
        "2027-05-11 14:00 BST",
        "2027-06-08 14:00 BST",
    ]
    # the same wall-clock time is a different UTC instant once the clocks go forward
    assert found[2].starts_at.hour == 14 and found[3].starts_at.hour == 13


def test_a_local_time_skipped_by_the_clocks_moves_forward_by_the_gap() -> None:
    # 2027-03-28: London goes from 01:00 GMT straight to 02:00 BST; 01:30 does not exist.
    pb = with_schedule(
        {
            "timezone": "Europe/London",
            "drills": [plan(cadence="dates", dates=["2027-03-28"], at="01:30")],
        }
    )
    (drill,) = drill_schedule.upcoming(pb, datetime(2027, 3, 1, tzinfo=UTC))
    assert drill.local.strftime("%H:%M %Z") == "02:30 BST"
    assert drill.starts_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"cadence": "monthly", "day": 28}, ["2027-01-28", "2027-02-28", "2027-03-28"]),
        (
            {"cadence": "monthly", "week": -1, "weekday": "fri"},
            ["2027-01-29", "2027-02-26", "2027-03-26"],
        ),
        ({"cadence": "quarterly", "month": 3, "day": 1}, ["2027-03-01"]),
        ({"cadence": "quarterly", "quarters": [2], "day": 1}, ["2027-04-01"]),
        ({"cadence": "annually", "month": 2, "week": 1, "weekday": "mon"}, ["2027-02-01"]),
        ({"cadence": "dates", "dates": ["2027-03-31", "2027-01-05"]}, ["2027-01-05", "2027-03-31"]),
    ],
)
def test_each_cadence(rule: dict[str, Any], expected: list[str]) -> None:
    pb = with_schedule({"drills": [plan(**rule)]})
    now = datetime(2027, 1, 1, tzinfo=UTC)
    found = drill_schedule.upcoming(pb, now, until=datetime(2027, 4, 1, 12, tzinfo=UTC))
    assert [f"{d.local:%Y-%m-%d %H:%M}" for d in found] == [f"{d} 10:00" for d in expected]


def test_a_drill_already_begun_is_not_upcoming() -> None:
    pb = with_schedule({"drills": [plan(cadence="dates", dates=["2027-01-05"])]})
    at = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    assert [d.starts_at for d in drill_schedule.upcoming(pb, at)] == [at]
    assert drill_schedule.upcoming(pb, at + timedelta(seconds=1)) == []


def test_next_reminder_walks_the_offsets_then_the_next_occurrence() -> None:
    pb = with_schedule(
        {"reminders": ["1d", "7d"], "drills": [plan(cadence="monthly", day=10, at="09:00")]}
    )
    after = datetime(2027, 1, 1, tzinfo=UTC)
    seen = []
    for _ in range(4):
        reminder = drill_schedule.next_reminder(pb, "game-day", after)
        assert reminder is not None
        seen.append((reminder.due_at, reminder.before))
        after = reminder.due_at
    assert seen == [
        (datetime(2027, 1, 3, 9, tzinfo=UTC), timedelta(days=7)),
        (datetime(2027, 1, 9, 9, tzinfo=UTC), timedelta(days=1)),
        (datetime(2027, 2, 3, 9, tzinfo=UTC), timedelta(days=7)),
        (datetime(2027, 2, 9, 9, tzinfo=UTC), timedelta(days=1)),
    ]


# --- validation -------------------------------------------------------------------------------


def _problems(schedule: dict[str, Any]) -> list[str]:
    doc = _document()
    doc["drills"]["schedule"] = schedule
    text = _dump(doc)
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "mine.yaml")
    lines = text.splitlines()
    found = []
    for problem in caught.value.problems:
        assert problem.line is not None, problem
        found.append(f"{problem.field}: {problem.reason} @ {lines[problem.line - 1].strip()}")
    return found


def test_dangling_references_name_their_line() -> None:
    found = _problems(
        {
            "drills": [
                plan(
                    cadence="monthly",
                    day=3,
                    scenario="no-such-scenario",
                    organisers=["ghost"],
                    participants=["dba", "nobody"],
                )
            ]
        }
    )
    assert len(found) == 3
    assert found[0].startswith("drills.schedule.drills[0].scenario: unknown scenario")
    assert found[0].endswith("@ scenario: no-such-scenario")
    assert found[1] == ("drills.schedule.drills[0].organisers[0]: unknown person 'ghost' @ - ghost")
    assert found[2] == (
        "drills.schedule.drills[0].participants[1]: unknown person 'nobody' @ - nobody"
    )


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"cadence": "annually", "day": 1}, "an annual drill needs 'month' (1-12)"),
        ({"cadence": "monthly"}, "say which day"),
        ({"cadence": "quarterly", "month": 5, "day": 1}, "month of the quarter: 1-3"),
        ({"cadence": "dates"}, "cadence 'dates' needs 'dates'"),
        ({"cadence": "monthly", "day": 1, "weekday": "mon", "week": 1}, "either 'day' or"),
        ({"cadence": "weekly", "day": 1}, "Input should be"),
        ({"cadence": "monthly", "day": 31}, "less than or equal to 28"),
    ],
)
def test_a_bad_rule_names_the_planned_drill(rule: dict[str, Any], reason: str) -> None:
    (problem,) = _problems({"drills": [plan(**rule)]})
    assert reason in problem
    assert problem.startswith("drills.schedule.drills[0]")


def test_reminders_are_durations_and_unknown_keys_are_refused() -> None:
    (problem,) = _problems({"reminders": ["a week"]})
    assert problem.startswith("drills.schedule.reminders[0]: 'a week' is not a duration")
    (problem,) = _problems({"reminder": ["7d"]})
    assert "drills.schedule.reminder: Extra inputs are not permitted" in problem


def test_the_seeds_plain_programme_lines_are_still_accepted() -> None:
    pb = with_schedule(["Monthly: Game day simulation (2 hours)"])  # type: ignore[arg-type]
    assert pb.drills.schedule.notes == ["Monthly: Game day simulation (2 hours)"]
    assert pb.drills.schedule.drills == []


# --- reminders through the engine, to a real SMTP receiver -----------------------------------

DRILL_AT = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # the conftest clock starts 2026-11-26


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


def reminder_document() -> dict[str, Any]:
    doc = playbook_document(None)
    doc["drills"]["schedule"] = {
        "timezone": "Europe/London",
        "reminders": ["7d", "1d"],
        "drills": [
            plan(
                id="failover-dec",
                cadence="dates",
                dates=["2026-12-10"],
                at="14:00",
                organisers=["team-lead-1", "team-lead-2"],
            )
        ],
    }
    return doc


def build(tmp_path: Path, database_url: str, clock: FrozenClock, smtp: SmtpReceiver) -> Runtime:
    return make_runtime(tmp_path, database_url, clock, reminder_document(), smtp.settings)


def run_engine(rt: Runtime, smtp: SmtpReceiver, expected: int) -> None:
    rt.engine.run_once()
    rt.engine.run_once()
    assert len(smtp.messages) == expected


def text_of(mail: EmailMessage) -> str:
    """The decoded text of a (quoted-printable) mail body."""
    data = mail.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data.decode("utf-8").replace("\r\n", "\n")


def reminder_mail(smtp: SmtpReceiver) -> list[tuple[str, str]]:
    return [(m["X-Test-Rcpt"], str(m["Subject"])) for m in smtp.messages]


def test_reminders_arrive_once_at_their_time_and_survive_a_restart(
    tmp_path: Path, database_url: str, clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    rt = build(tmp_path, database_url, clock, smtp)
    assert rt.drill_reminders.ensure_timers() == 1
    assert rt.drill_reminders.ensure_timers() == 0  # idempotent: one timer per plan

    clock.set(DRILL_AT - timedelta(days=7, seconds=1))
    run_engine(rt, smtp, 0)  # not yet

    clock.set(DRILL_AT - timedelta(days=7))
    run_engine(rt, smtp, 2)  # both organisers, exactly at 7 days before
    assert sorted(reminder_mail(smtp)) == [
        (
            "team-lead-1@example.test",
            "[firebell] Drill reminder: Database failover on 2026-12-10",
        ),
        (
            "team-lead-2@example.test",
            "[firebell] Drill reminder: Database failover on 2026-12-10",
        ),
    ]
    body = text_of(smtp.messages[0])
    assert "runs in 7 days" in body
    assert "Thursday 2026-12-10 14:00 Europe/London" in body
    assert "- Example Primary Engineer 1 (primary-engineer-1)" in body
    assert "- Example Database Admin (dba)" in body
    assert "firebell drill start database-failover --participants primary-engineer-1,dba" in body

    clock.advance(timedelta(hours=1))
    run_engine(rt, smtp, 2)  # nothing twice

    # firebell stops; the 1-day reminder comes due while it is down ...
    rt.close()
    clock.set(DRILL_AT - timedelta(hours=20))
    rt = build(tmp_path, database_url, clock, smtp)
    try:
        assert rt.drill_reminders.ensure_timers() == 0  # the pending timer is kept
        run_engine(rt, smtp, 4)  # ... and is sent when it is back, once
        assert "runs in 1 day." in text_of(smtp.messages[-1])
        run_engine(rt, smtp, 4)
        clock.set(DRILL_AT + timedelta(days=1))
        run_engine(rt, smtp, 4)
        with rt.sessions() as session:
            keys = sorted(
                session.scalars(
                    select(Message.dedupe_key).where(Message.purpose == "drill_reminder")
                )
            )
            timers = session.scalars(select(Timer).where(Timer.kind == KIND)).all()
        assert len(keys) == 4 and len(set(keys)) == 4
        assert sorted(t.status for t in timers) == ["fired", "fired"]  # no later date
    finally:
        rt.close()


def test_a_reminder_is_dropped_when_the_drill_has_begun(
    tmp_path: Path, database_url: str, clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    rt = build(tmp_path, database_url, clock, smtp)
    try:
        rt.drill_reminders.ensure_timers()
        clock.set(DRILL_AT + timedelta(minutes=5))  # down past the drill itself
        run_engine(rt, smtp, 0)
        with rt.sessions() as session:
            statuses = session.scalars(select(Timer.status).where(Timer.kind == KIND)).all()
        assert statuses == ["fired"]
    finally:
        rt.close()


def test_a_changed_programme_replaces_the_pending_timer(
    tmp_path: Path, database_url: str, clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    rt = build(tmp_path, database_url, clock, smtp)
    rt.drill_reminders.ensure_timers()
    rt.close()
    doc = reminder_document()
    doc["drills"]["schedule"]["drills"][0]["dates"] = ["2026-12-17"]
    rt = make_runtime(tmp_path, database_url, clock, doc, smtp.settings)
    try:
        assert rt.drill_reminders.ensure_timers() == 1
        with rt.sessions() as session:
            rows = session.scalars(select(Timer).where(Timer.kind == KIND)).all()
        by_status = {t.status: t.due_at for t in rows}
        assert by_status == {
            "cancelled": DRILL_AT - timedelta(days=7),
            "pending": DRILL_AT,  # 2026-12-17 14:00 minus 7 days
        }
        clock.set(DRILL_AT - timedelta(days=7))
        run_engine(rt, smtp, 0)  # the old date's reminder is not sent
    finally:
        rt.close()


# --- API and CLI --------------------------------------------------------------------------------


def test_schedule_over_the_api(
    tmp_path: Path, database_url: str, clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    rt = build(tmp_path, database_url, clock, smtp)
    with transaction(rt.sessions) as session:
        _, token = create_token(session, rt.clock, name="vera", role="viewer")
    try:
        with TestClient(create_app(rt)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            data = client.get("/api/v1/drills/schedule", headers=auth).json()
            assert data["timezone"] == "Europe/London"
            assert data["reminders"] == ["1w", "1d"]
            (drill,) = data["drills"]
            assert drill["plan"] == "failover-dec"
            assert drill["starts_at"] == "2026-12-10T14:00:00+00:00"
            assert drill["local"] == "2026-12-10T14:00:00+00:00"
            assert drill["organisers"] == ["team-lead-1", "team-lead-2"]
            assert drill["reminders"] == [
                "2026-12-03T14:00:00+00:00",
                "2026-12-09T14:00:00+00:00",
            ]
            assert drill["command"].startswith("firebell drill start database-failover")
            short = client.get("/api/v1/drills/schedule?days=7", headers=auth).json()
            assert short["drills"] == []
            bad = client.get("/api/v1/drills/schedule?days=0", headers=auth)
            assert bad.status_code == 422
            assert "days" in bad.text
            assert client.get("/api/v1/drills/schedule").status_code == 401
    finally:
        rt.close()


def test_doctor_names_organisers_who_would_get_no_reminder() -> None:
    doc = playbook_document(None)
    doc["drills"]["schedule"] = reminder_document()["drills"]["schedule"]
    pb = parse_playbook(_dump(doc)).playbook
    assert checks.drill_organisers(pb, {"email"}) == []  # both have an e-mail address
    (finding,) = checks.drill_organisers(pb, {"webhook"})  # no SMTP, no webhook_url
    assert finding.level == Level.WARNING
    assert finding.message == (
        "drill organisers who would get no reminder: "
        "team-lead-1 (failover-dec), team-lead-2 (failover-dec)"
    )
    # the default playbook's organisers are example people: reported as examples, not here
    assert checks.drill_organisers(default(), set()) == []
