"""The intake edge check (pure): JSON every database stores the same way, or a 400 naming
the field."""

from __future__ import annotations

import json

import pytest

from firebell.intake.edge import MAX_DEPTH, UnreadablePayload, load_json
from firebell.intake.errors import IntakeError


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def problem(body: bytes) -> tuple[str, str]:
    with pytest.raises(UnreadablePayload) as caught:
        load_json(body)
    [(field, reason)] = caught.value.problems
    return field, reason


def test_ordinary_payloads_pass_unchanged() -> None:
    doc = {"a": [{"b": "x"}, 1, None, True], "emoji": "\U0001f525", "hangul": "\ud55c\uae00"}
    assert load_json(json.dumps(doc).encode()) == doc
    assert load_json(json.dumps(doc, ensure_ascii=False).encode()) == doc


def test_a_valid_surrogate_pair_is_one_character_and_passes() -> None:
    assert load_json(b'{"s": "\\ud83d\\udd25"}') == {"s": "\U0001f525"}


@pytest.mark.parametrize(
    ("body", "field", "what"),
    [
        (b'{"summary": "a\\u0000b"}', "summary", "NUL"),
        (b'{"labels": {"x": ["ok", "\\ud800"]}}', "labels.x[1]", "surrogate"),
        (b'{"labels": {"x": "\\udfff"}}', "labels.x", "surrogate"),
        (b'{"a": "\xed\xa0\x80"}', "a", "surrogate"),  # raw UTF-8 of U+D800
        (b'[{"k\\u0000": 1}]', "[0].k\x00", "key"),
    ],
)
def test_unstorable_text_is_refused_naming_the_field(body: bytes, field: str, what: str) -> None:
    got_field, reason = problem(body)
    assert got_field.lstrip("$") == field
    assert what in reason and "cannot be stored" in reason


def test_nesting_up_to_the_limit_passes_and_one_more_is_refused() -> None:
    assert load_json(nested(MAX_DEPTH)) is not None
    field, reason = problem(nested(MAX_DEPTH + 1))
    assert field.endswith("[0]") and f"more than {MAX_DEPTH} levels" in reason


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_a_400_not_a_crash(depth: int) -> None:
    _, reason = problem(nested(depth))
    assert "nested more than" in reason
    deep_objects = ('{"a":' * depth + "1" + "}" * depth).encode()
    assert "nested more than" in problem(deep_objects)[1]


def test_bad_json_is_still_the_ordinary_422_error() -> None:
    with pytest.raises(IntakeError) as caught:
        load_json(b"{nope")
    assert not isinstance(caught.value, UnreadablePayload)
    assert "not valid JSON" in str(caught.value)
