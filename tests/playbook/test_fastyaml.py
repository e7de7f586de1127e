"""The fast start-up parser reads a playbook exactly as the careful (ruamel, YAML 1.2)
parser does, and anything wrong still goes through the careful one, with its line."""

from __future__ import annotations

import io
from typing import Any

import pytest
from ruamel.yaml import YAML

from firebell.playbook import loader
from firebell.playbook.fastyaml import fast_load
from firebell.playbook.loader import PlaybookError, default_playbook_text, parse_playbook


def careful(text: str) -> Any:
    return loader._plain(YAML(typ="rt").load(io.StringIO(text)))


def test_the_default_playbook_reads_the_same_both_ways() -> None:
    text = default_playbook_text()
    assert fast_load(text) == careful(text)


@pytest.mark.parametrize(
    "snippet",
    [
        "handoff_time: 09:00\n",  # YAML 1.1 would read 540
        "paging: on\nack: yes\nflag: no\n",  # YAML 1.1 would read booleans
        "start: 2026-01-05T09:00:00\nday: 2026-01-05\n",
        "n: 10\nx: 0x1f\nf: 1.5\ne: 1e3\nnothing: ~\nempty:\nt: true\nv: 010\n",
        "list: [a, 'b', \"c\"]\nnested: {k: [1, 2, {z: null}]}\n",
    ],
)
def test_scalars_follow_yaml_1_2_like_ruamel(snippet: str) -> None:
    assert fast_load(snippet) == careful(snippet)


def test_a_broken_playbook_is_still_reported_with_its_line() -> None:
    text = default_playbook_text().replace("timezone: America/New_York", "timezone: Mars/Base", 1)
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "p.yaml")
    [problem] = caught.value.problems
    assert problem.line is not None and "Mars/Base" in text.splitlines()[problem.line - 1]


def test_a_valid_playbook_loads_through_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the careful parser was used for a valid playbook")

    monkeypatch.setattr(loader, "YAML", refuse)
    loaded = parse_playbook(default_playbook_text(), "default.yaml")
    assert loaded.playbook.people
