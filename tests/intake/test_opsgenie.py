from __future__ import annotations

from typing import Any

import pytest

from firebell.intake import IntakeError, parse_opsgenie_action, parse_opsgenie_create

from .conftest import problem_fields


def fixed_alias() -> str:
    return "generated-alias"


def test_full_create() -> None:
    event = parse_opsgenie_create(
        {
            "message": "An example alert message",
            "alias": "Life is too short for no alias",
            "description": "Every alert needs a description",
            "responders": [{"name": "NOC", "type": "team"}],
            "visibleTo": [{"username": "a@b.invalid", "type": "user"}],
            "actions": ["Restart", "AnExampleAction"],
            "tags": ["OverwriteQuietHours", "Critical", "env:prod"],
            "details": {"key1": "value1", "key2": "value2"},
            "entity": "An example entity",
            "source": "nagios",
            "priority": "P1",
            "user": "Monitoring Script",
            "note": "Alert created",
            "unknown_future_field": 1,
        },
        new_alias=fixed_alias,
    )
    assert event.action == "trigger"
    assert event.format == "opsgenie"
    assert event.dedup_key == "Life is too short for no alias"
    assert event.summary == "An example alert message"
    assert event.source == "nagios"
    assert event.severity_hint == "P1"
    assert event.labels == {"priority": "P1", "entity": "An example entity", "env": "prod"}
    assert event.details["details"] == {"key1": "value1", "key2": "value2"}
    assert event.details["tags"] == ["OverwriteQuietHours", "Critical", "env:prod"]
    assert event.details["description"] == "Every alert needs a description"
    assert event.details["actions"] == ["Restart", "AnExampleAction"]
    assert event.details["responders"] == [{"name": "NOC", "type": "team"}]


def test_minimal_create_defaults_priority_and_generates_an_alias() -> None:
    event = parse_opsgenie_create({"message": "m"}, new_alias=fixed_alias)
    assert event.dedup_key == "generated-alias"
    assert event.severity_hint == "P3"
    assert event.labels == {"priority": "P3"}
    assert event.source == "opsgenie"
    assert parse_opsgenie_create(
        {"message": "m", "alias": " "}, new_alias=fixed_alias
    ).dedup_key == ("generated-alias")


def test_creates_without_alias_are_distinct_by_default() -> None:
    a = parse_opsgenie_create({"message": "m"})
    b = parse_opsgenie_create({"message": "m"})
    assert a.dedup_key != b.dedup_key


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "message", "is missing or blank"),
        ({"message": "  "}, "message", "is missing or blank"),
        ({"message": "m" * 131}, "message", "must be at most 130 characters (got 131)"),
        ({"message": 1}, "message", "must be a string"),
        ({"alias": "a" * 513}, "alias", "must be at most 512 characters"),
        ({"description": "d" * 15001}, "description", "at most 15000"),
        ({"entity": "e" * 513}, "entity", "at most 512"),
        ({"source": "s" * 101}, "source", "at most 100"),
        ({"user": "u" * 101}, "user", "at most 100"),
        ({"note": "n" * 25001}, "note", "at most 25000"),
        ({"priority": "P0"}, "priority", "must be one of P1, P2, P3, P4, P5 (got 'P0')"),
        ({"priority": "p1"}, "priority", "must be one of"),
        ({"tags": "a,b"}, "tags", "must be an array"),
        ({"tags": ["ok", 3]}, "tags[1]", "must be a string (got number)"),
        ({"tags": ["t" * 51]}, "tags[0]", "at most 50 characters"),
        ({"tags": [str(i) for i in range(21)]}, "tags", "at most 20 items (got 21)"),
        ({"actions": [str(i) for i in range(11)]}, "actions", "at most 10 items"),
        ({"details": ["x"]}, "details", "must be an object"),
        ({"responders": {}}, "responders", "must be an array"),
        ({"visibleTo": "team"}, "visibleTo", "must be an array"),
    ],
)
def test_create_problems_name_their_field(body: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_create(body if field == "message" else {"message": "m", **body})
    assert problem_fields(exc) == [field]
    assert reason in exc.value.problems[0].reason


def test_create_reports_all_problems() -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_create({"priority": "urgent", "tags": [1]})
    assert problem_fields(exc) == ["message", "priority", "tags[0]"]


def test_create_body_must_be_an_object() -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_create("message")
    assert problem_fields(exc) == ["$"]


@pytest.mark.parametrize(("verb", "action"), [("acknowledge", "acknowledge"), ("close", "resolve")])
def test_acknowledge_and_close_by_alias(verb: Any, action: str) -> None:
    event = parse_opsgenie_action(
        verb, "my-alias", "alias", {"user": "ann", "source": "cli", "note": "on it"}
    )
    assert event.action == action
    assert event.dedup_key == "my-alias"
    assert event.summary == "on it"
    assert event.source == "cli"
    assert event.details == {"user": "ann", "source": "cli", "note": "on it"}


def test_action_body_is_optional() -> None:
    event = parse_opsgenie_action("close", "a", "alias", None)
    assert (event.action, event.dedup_key, event.summary, event.source) == (
        "resolve",
        "a",
        "",
        "opsgenie",
    )
    assert parse_opsgenie_action("close", "a", "alias", {}).details == {}


def test_omitted_identifier_type_means_id_which_is_refused_with_a_hint() -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_action("close", "a", None, None)
    ((field, reason),) = exc.value.problems
    assert field == "identifierType"
    assert "'id'" in reason
    assert "default" in reason
    assert "identifierType=alias" in reason


@pytest.mark.parametrize("kind", ["id", "tiny"])
def test_id_and_tiny_are_refused_with_a_hint(kind: str) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_action("acknowledge", "123", kind, None)
    ((field, reason),) = exc.value.problems
    assert field == "identifierType"
    assert f"{kind!r} is not supported" in reason
    assert "identifierType=alias" in reason


@pytest.mark.parametrize(
    ("identifier", "kind", "body", "fields"),
    [
        ("a", "name", None, ["identifierType"]),
        ("", "alias", None, ["identifier"]),
        (None, "alias", None, ["identifier"]),
        ("a" * 513, "alias", None, ["identifier"]),
        ("a", "alias", [], ["$"]),
        ("a", "alias", {"note": 5, "user": "u" * 101}, ["user", "note"]),
        (" ", "tiny", {"source": {}}, ["identifier", "identifierType", "source"]),
    ],
)
def test_action_problems_name_their_field(
    identifier: Any, kind: str, body: Any, fields: list[str]
) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_opsgenie_action("close", identifier, kind, body)
    assert problem_fields(exc) == fields
