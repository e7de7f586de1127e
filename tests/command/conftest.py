"""A runtime wired to a local Slack Web API and a chat signing secret."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from ruamel.yaml import YAML

from firebell.channels.registry import ChannelSettings, SlackApiSettings
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime

from .slack_server import FakeSlack, fake_slack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


def playbook_file(tmp_path: Path, edit: Callable[[Any], None] | None = None) -> Path:
    """The default playbook with chat user ids for everyone (so invites can be checked),
    its people made real (firebell never pages an example contact)."""
    yaml = YAML()
    doc = yaml.load(default_playbook_text())
    for n, person in enumerate(doc["people"]):
        person["chat_user_id"] = f"U{n:04d}"
        person["example"] = False
    if edit is not None:
        edit(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    path = tmp_path / "playbook.yaml"
    path.write_text(out.getvalue())
    return path


@pytest.fixture
def make_runtime(
    database_url: str, tmp_path: Path, clock: FrozenClock, slack: FakeSlack
) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def build(edit: Callable[[Any], None] | None = None) -> Runtime:
        settings = Settings(
            home=tmp_path,
            database_url=database_url,
            playbook_path=playbook_file(tmp_path, edit),
            slack_signing_secret=SIGNING_SECRET,
            channels=ChannelSettings(
                slack_api=SlackApiSettings(bot_token=SecretStr("xoxb-test"), base_url=slack.url)
            ),
        )
        runtime = build_runtime(settings, clock, migrate=False)
        made.append(runtime)
        return runtime

    yield build
    for runtime in made:
        runtime.close()
