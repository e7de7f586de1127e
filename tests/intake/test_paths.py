from __future__ import annotations

from typing import Any

import pytest

from firebell.intake.paths import compile_path, lookup

DOC: dict[str, Any] = {
    "alert": {"name": "Down", "labels": {"service": "checkout"}},
    "alerts": [{"id": "a1"}, {"id": "a2"}],
    "items": [{"x": 1}],
    "a b": {"c": "spaced"},
    "0": {"k": "key named zero"},
    "quote'd": "q",
    "nothing": None,
    "flag": False,
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("alert.name", "Down"),
        ("alert.labels.service", "checkout"),
        ("alerts.0.id", "a1"),
        ("alerts.1.id", "a2"),
        ("0.k", "key named zero"),
        ("flag", False),
        ("$.alert.name", "Down"),
        ("$['a b'].c", "spaced"),
        ('$["a b"]["c"]', "spaced"),
        ("$.items[0].x", 1),
        ("$.alerts[1]['id']", "a2"),
        ("$['quote\\'d']", "q"),
        ("$['0'].k", "key named zero"),
    ],
)
def test_lookup_finds(path: str, value: Any) -> None:
    assert lookup(DOC, path) == (True, value)


def test_dollar_alone_is_the_document() -> None:
    assert lookup(DOC, "$") == (True, DOC)


@pytest.mark.parametrize(
    "path",
    [
        "alert.missing",
        "alerts.5.id",
        "alert.name.deeper",
        "nothing",
        "$.items[3]",
        "$.items.x",
        "$.alert[0]",
        "$['alert'][0]",
        "$.alerts['0']",
    ],
)
def test_lookup_misses(path: str) -> None:
    assert lookup(DOC, path) == (False, None)


def test_lookup_on_non_container_documents() -> None:
    assert lookup(5, "a") == (False, None)
    assert lookup(["x"], "0") == (True, "x")
    assert lookup(["x"], "$[0]") == (True, "x")


@pytest.mark.parametrize(
    "path",
    ["", "  ", "a..b", ".a", "a.", "$.", "$x", "$[", "$[x]", "$[-1]", "$['a'", "$['a'x", "$.a b"],
)
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        compile_path(path)
