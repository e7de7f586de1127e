"""/openapi.json documents the problem responses of every API operation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from firebell.api.openapi_problems import codes_for
from firebell.api.problems import PROBLEM


def test_every_api_operation_documents_its_problems(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    checked = 0
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/intake/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"400", "422", "429", "401"}
            if method in ("post", "delete"):
                expected |= {"409"}
            if method == "post":
                expected |= {"413"}
            if "{" in path:
                expected |= {"404"}
            assert expected <= set(responses), (method, path, sorted(responses))
            for code in expected:
                assert PROBLEM in responses[code]["content"], (method, path, code)
            checked += 1
    assert checked > 30
    declare = spec["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert declare["413"]["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_codes_for_is_pure() -> None:
    assert codes_for("/api/v1/x/{id}", "delete", {"security": [{}]}) == [
        "400",
        "401",
        "403",
        "404",
        "409",
        "422",
        "429",
    ]
    assert codes_for("/api/v1/x", "get", {}) == ["400", "401", "422", "429"]
    assert codes_for("/ical/x.ics", "get", {}) == ["400", "422", "429"]
