"""The monthly review e-mailed to management on the first working day, once: received by
a real SMTP server (aiosmtpd) with the HTML review attached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import yaml
from paging._support import SmtpReceiver, smtp_receiver

from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.playbook.loader import default_playbook_text
from firebell.reports.delivery import due_month, first_working_day
from firebell.runtime import Runtime, build_runtime

WEEKDAYS = frozenset(range(5))


def test_first_working_day() -> None:
    assert first_working_day(2026, 12, WEEKDAYS) == date(2026, 12, 1)  # a Tuesday
    assert first_working_day(2026, 11, WEEKDAYS) == date(2026, 11, 2)  # Sunday the 1st
    # 1 January 2027 is a Friday and a holiday: Monday the 4th.
    assert first_working_day(2027, 1, WEEKDAYS, {date(2027, 1, 1)}) == date(2027, 1, 4)
    nine = time(9)
    assert due_month(datetime(2026, 12, 1, 9, 0), WEEKDAYS, nine) == "2026-11"
    assert due_month(datetime(2026, 12, 1, 8, 59), WEEKDAYS, nine) is None
    assert due_month(datetime(2026, 12, 2, 9, 0), WEEKDAYS, nine) is None
    assert due_month(datetime(2027, 1, 4, 10, 0), WEEKDAYS, nine, {date(2027, 1, 1)}) == "2026-12"


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


def _runtime(database_url: str, home: Path, clock: FrozenClock, smtp: SmtpReceiver) -> Runtime:
    document = yaml.safe_load(default_playbook_text())
    document["learning"] = {"monthly_review": {"email_audience": "management"}}
    # The default playbook's addresses are placeholders firebell never mails: real ones here.
    for audience in document["communications"]["audiences"]:
        if audience["id"] == "management":
            audience["channels"] = ["vpeng@example.test", "cto@example.test"]
    path = home / "playbook.yaml"
    path.write_text(yaml.safe_dump(document))
    settings = Settings(
        home=home, database_url=database_url, playbook_path=path, smtp=smtp.settings
    )
    return build_runtime(settings, clock, migrate=False)


def test_review_mailed_once(
    database_url: str, tmp_path: Path, clock: FrozenClock, smtp: SmtpReceiver
) -> None:
    clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))  # the playbook's zone is UTC
    runtime = _runtime(database_url, tmp_path, clock, smtp)
    try:
        assert runtime.monthly_mailer.step() == 0  # not yet 09:00
        clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        assert runtime.monthly_mailer.step() == 2  # vpeng@ and cto@
        assert runtime.monthly_mailer.step() == 0
        for _ in range(5):
            runtime.engine.run_once()
    finally:
        runtime.close()
    again = _runtime(database_url, tmp_path, clock, smtp)  # a restart: still once
    try:
        assert again.monthly_mailer.step() == 0
    finally:
        again.close()
    assert sorted(m["To"] for m in smtp.messages) == ["cto@example.test", "vpeng@example.test"]
    mail = smtp.messages[0]
    assert mail["Subject"] == "[firebell] Monthly incident review 2026-11"
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert "# Monthly incident review: Nov 2026" in body.get_payload(decode=True).decode()
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert html.get_filename() == "incident-review-2026-11.html"
    assert b"<svg" in html.get_payload(decode=True)


def test_unknown_audience_is_a_playbook_error(tmp_path: Path) -> None:
    from firebell.playbook.loader import PlaybookError, load_playbook

    document = yaml.safe_load(default_playbook_text())
    document["learning"] = {"monthly_review": {"email_audience": "board"}}
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(PlaybookError, match="unknown audience 'board'"):
        load_playbook(path)
