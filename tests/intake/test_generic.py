from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.intake import GenericConfig, IntakeError, StateRule, parse_generic

from .conftest import problem_fields

CONFIG = GenericConfig(
    summary="$.alert.name",
    dedup_key="alert.id",
    severity="alert.level",
    resolve=StateRule("status", ("ok", "resolved")),
    acknowledge=StateRule("$.ack", ("true",)),
    labels="alert.labels",
    occurred_at="alert.at",
    source="uptime-robot",
)


def payload(**alert: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "check-17", "name": "API down", "level": "critical"}
    base.update(alert)
    return {"status": "down", "alert": {k: v for k, v in base.items() if v is not None}}


def test_reads_everything_from_the_configured_paths() -> None:
    body = payload(labels={"service": "api", "region": "eu", "n": 3, "nested": {}}, at=1700000000)
    event = parse_generic(body, CONFIG)
    assert event.action == "trigger"
    assert event.dedup_key == "check-17"
    assert event.summary == "API down"
    assert event.severity_hint == "critical"
    assert event.source == "uptime-robot"
    assert event.format == "generic"
    assert event.labels == {"service": "api", "region": "eu", "n": "3"}
    assert event.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert event.details is body


@pytest.mark.parametrize("status", ["ok", "OK", " resolved "])
def test_resolve_rule(status: str) -> None:
    body = payload()
    body["status"] = status
    assert parse_generic(body, CONFIG).action == "resolve"


def test_acknowledge_rule_matches_json_true() -> None:
    body = payload()
    body["ack"] = True
    assert parse_generic(body, CONFIG).action == "acknowledge"
    body["status"] = "resolved"
    assert parse_generic(body, CONFIG).action == "resolve"  # resolve is checked first


def test_rule_values_that_are_absent_or_structured_do_not_match() -> None:
    body = payload()
    del body["status"]
    assert parse_generic(body, CONFIG).action == "trigger"
    body["status"] = ["ok"]
    assert parse_generic(body, CONFIG).action == "trigger"


def test_numbers_are_accepted_as_text_and_iso_times_parse() -> None:
    event = parse_generic(payload(id=17, name=404, at="2024-01-01T00:00:00Z"), CONFIG)
    assert (event.dedup_key, event.summary) == ("17", "404")
    assert event.occurred_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_optional_paths_may_be_missing() -> None:
    event = parse_generic(payload(level=None), CONFIG)
    assert event.severity_hint is None
    assert event.labels == {}
    assert event.occurred_at is None


def test_without_a_key_path_the_summary_is_the_key() -> None:
    config = GenericConfig(summary="title")
    a = parse_generic({"title": "Disk full", "x": 1}, config)
    b = parse_generic({"title": "Disk full", "x": 2}, config)
    assert a.dedup_key == b.dedup_key == hashlib.sha256(b"generic-summary:Disk full").hexdigest()
    assert parse_generic({"title": "Other"}, config).dedup_key != a.dedup_key


def test_long_keys_are_hashed() -> None:
    event = parse_generic({"t": "s", "k": "k" * 300}, GenericConfig(summary="t", dedup_key="k"))
    assert event.dedup_key == hashlib.sha256(b"k" * 300).hexdigest()


def test_non_object_payload_with_root_path() -> None:
    event = parse_generic("plain text alert", GenericConfig(summary="$"))
    assert event.summary == "plain text alert"
    assert event.details == {"payload": "plain text alert"}


@pytest.mark.parametrize(
    ("body", "fields", "reason"),
    [
        (payload(name=None), ["$.alert.name"], "is missing (this integration reads the summary"),
        (payload(name="  "), ["$.alert.name"], "is blank"),
        (payload(name={"a": 1}), ["$.alert.name"], "must be a string or number"),
        (payload(id=None), ["alert.id"], "is missing (this integration reads the dedup key"),
        (payload(level=["x"]), ["alert.level"], "must be a string or number for the severity"),
        (payload(labels="x"), ["alert.labels"], "must be an object of labels"),
        (payload(at="later"), ["alert.at"], "ISO 8601 timestamp or a number of Unix seconds"),
        (payload(at=1e300), ["alert.at"], "ISO 8601"),
        (payload(at=True), ["alert.at"], "ISO 8601"),
        ({"other": 1}, ["$.alert.name", "alert.id"], "is missing"),
        ([], ["$.alert.name", "alert.id"], "is missing"),
    ],
)
def test_problems_name_the_configured_path(body: Any, fields: list[str], reason: str) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_generic(body, CONFIG)
    assert problem_fields(exc) == fields
    assert reason in exc.value.problems[0].reason


@pytest.mark.parametrize(
    "build",
    [
        lambda: GenericConfig(summary=""),
        lambda: GenericConfig(summary="a", dedup_key="$["),
        lambda: GenericConfig(summary="a", severity="a..b"),
        lambda: GenericConfig(summary="a", labels="$x"),
        lambda: GenericConfig(summary="a", occurred_at="."),
        lambda: StateRule("status", ()),
        lambda: StateRule("$[x]", ("ok",)),
    ],
)
def test_bad_configuration_is_refused_on_construction(build: Any) -> None:
    with pytest.raises(ValueError):
        build()
