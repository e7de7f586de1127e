from __future__ import annotations

import pytest

from firebell.intake import IntakeError, Problem


def test_carries_problems_as_field_reason_pairs() -> None:
    err = IntakeError([("payload.severity", "must be one of critical, error, warning, info")])
    assert err.problems == (
        Problem("payload.severity", "must be one of critical, error, warning, info"),
    )
    field, reason = err.problems[0]
    assert field == "payload.severity"
    assert reason.startswith("must be")
    assert err.fields() == ["payload.severity"]
    assert err.as_dicts() == [{"field": "payload.severity", "reason": reason}]
    assert str(err) == f"'payload.severity' {reason}"


def test_is_a_value_error_and_joins_several_problems() -> None:
    err = IntakeError([("a", "x"), ("b", "y")])
    assert isinstance(err, ValueError)
    assert str(err) == "'a' x; 'b' y"
    assert IntakeError.single("c", "z").problems == (("c", "z"),)


def test_refuses_to_exist_without_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one"):
        IntakeError([])
