"""Playbook validation: every problem with file, line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from firebell.playbook.durations import Span
from firebell.playbook.loader import (
    PlaybookError,
    default_playbook_text,
    load_playbook,
    parse_playbook,
    playbook_version,
)


def edited(path: list[str | int], value: object) -> str:
    """The default playbook with one value replaced, as YAML text."""
    yaml = YAML()
    document = yaml.load(default_playbook_text())
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    from io import StringIO

    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_default_playbook_is_valid_and_versioned() -> None:
    loaded = load_playbook()
    assert loaded.version == playbook_version(default_playbook_text())
    assert loaded.version.startswith("sha256:")


def test_wrong_type_names_file_line_and_field() -> None:
    text = edited(["severities", "P1", "response_time"], "soon")
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "team.yaml")
    [problem] = info.value.problems
    assert problem.file == "team.yaml"
    assert problem.field == "severities.P1.response_time"
    assert "'soon' is not a duration" in problem.reason
    assert problem.line == line_of(text, "response_time: soon")
    assert str(problem).startswith(f"team.yaml:{problem.line}: severities.P1.response_time:")


def test_all_problems_are_reported_at_once() -> None:
    text = edited(["severities", "P1", "response_time"], "soon")
    yaml = YAML()
    document = yaml.load(text)
    document["compensation"]["weekday_hours_per_day"] = "two"
    document["organization"]["timezone"] = "Mars/Olympus"
    from io import StringIO

    out = StringIO()
    yaml.dump(document, out)
    with pytest.raises(PlaybookError) as info:
        parse_playbook(out.getvalue(), "p.yaml")
    fields = {p.field for p in info.value.problems}
    assert fields == {
        "severities.P1.response_time",
        "compensation.weekday_hours_per_day",
        "organization.timezone",
    }
    assert all(p.line for p in info.value.problems)


def test_unknown_key_is_refused_with_its_line() -> None:
    text = default_playbook_text().replace("severities:\n", "severities:\n  P4: {}\n", 1)
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "p.yaml")
    problem = info.value.problems[0]
    assert problem.field == "severities.P4"
    assert problem.line == line_of(text, "  P4: {}")


def test_malformed_yaml_reports_the_line() -> None:
    text = "organization:\n  name: x\nseverities: [P0, P1\nservices: []\n"
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "broken.yaml")
    [problem] = info.value.problems
    assert problem.line in (3, 4)
    assert problem.reason.startswith("YAML syntax:")


def test_not_a_mapping() -> None:
    with pytest.raises(PlaybookError, match="must be a YAML mapping"):
        parse_playbook("- just\n- a list\n", "p.yaml")


def test_dangling_reference_is_an_error() -> None:
    text = edited(["services", 0, "owner_team"], "no-such-team")
    with pytest.raises(PlaybookError, match="unknown team 'no-such-team'"):
        parse_playbook(text, "p.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbook(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "seconds", "business_days"),
    [
        ("5m", 300, 0),
        ("1h", 3600, 0),
        ("48h", 172800, 0),
        ("1w", 604800, 0),
        ("1bd", 0, 1),
        ("3.5d", 302400, 0),
    ],
)
def test_spans(text: str, seconds: int, business_days: int) -> None:
    span = Span.parse(text)
    assert span.delta.total_seconds() == seconds
    assert span.business_days == business_days


def test_business_day_skips_the_weekend() -> None:
    from datetime import UTC, datetime

    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert Span.parse("1bd").after(friday) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_template_files_next_to_the_playbook(tmp_path: Path) -> None:
    text = default_playbook_text()
    marker = "      variants:\n        internal:\n          channel: chat\n"
    assert marker in text
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "initial.j2").write_text("ALERT {{ incident.title }}\n")
    # swap the initial internal variant's inline body for a file
    yaml = YAML()
    document = yaml.load(text)
    variant = document["communications"]["templates"]["initial"]["variants"]["internal"]
    del variant["body"]
    variant["file"] = "templates/initial.j2"
    from io import StringIO

    out = StringIO()
    yaml.dump(document, out)
    path = tmp_path / "playbook.yaml"
    path.write_text(out.getvalue())
    loaded = load_playbook(path)
    body = loaded.playbook.communications.templates["initial"].variants["internal"].body
    assert body == "ALERT {{ incident.title }}\n"
    first = loaded.version
    (tmp_path / "templates" / "initial.j2").write_text("ALERT! {{ incident.title }}\n")
    assert load_playbook(path).version != first  # the file is part of the version
    (tmp_path / "templates" / "initial.j2").unlink()
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    [problem] = info.value.problems
    assert problem.field == "communications.templates.initial.variants.internal.file"
    assert "cannot read" in problem.reason and problem.line == line_of(
        out.getvalue(), "file: templates/initial.j2"
    )


def test_template_syntax_errors_are_validation_errors() -> None:
    text = default_playbook_text().replace(
        "INCIDENT ALERT - [{{ incident.severity }}] {{ incident.title }}\n",
        "INCIDENT ALERT - [{{ incident.severity }] {{ incident.title }}\n",
        1,
    )
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "p.yaml")
    problem = info.value.problems[0]
    assert problem.field == "communications.templates.initial.variants.internal.body"
    assert "template syntax error" in problem.reason and problem.line
