"""Template rendering has time and size limits; facts never replace the playbook's values."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.comms import render as render_module
from firebell.comms.render import MAX_OUTPUT, TemplateProblem, render
from firebell.runtime import Runtime

H = dict[str, str]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'x' * 1000000000 }}", "'*' would make"),
        ("{{ [1] * 1000000000 }}", "'*' would make"),
        ("{{ 2 ** 100000000 }}", "'**'"),
        ("{{ '%999999999s' % 'x' }}", "format width"),
        ("{{ '{:>999999999}'.format('x') }}", "format width"),
        ("{{ 'x' | center(999999999) }}", "width over"),
        ("{{ '%999999999s' | format('x') }}", "format width"),
        ("{% for i in range(99999) %}{{ 'abcdefghij' }}{% endfor %}", "longer than"),
    ],
)
def test_huge_output_is_refused_before_it_is_built(source: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateProblem) as problem:
        render("t", source, {})
    assert reason in problem.value.reason
    assert time.monotonic() - started < 2


def test_a_slow_template_stops_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module, "MAX_SECONDS", 0.2)
    source = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateProblem) as problem:
        render("slow", source, {})
    assert "longer than 0.2 s" in problem.value.reason
    assert time.monotonic() - started < 2


def test_ordinary_templates_still_render() -> None:
    context: dict[str, Any] = {"incident": {"title": "Down", "n": 3}, "xs": ["a", "b"]}
    out = render("ok", "{{ incident.title }} {{ 'ab' * 3 }} {{ xs | join(',') }}", context)
    assert out == "Down ababab a,b"
    assert render("c", "{{ 'x' | center(5) }}", {}) == "  x  "
    assert len(render("big", "{{ 'x' * n }}", {"n": MAX_OUTPUT})) == MAX_OUTPUT


def test_facts_cannot_replace_the_bridge_link(
    app_client: TestClient, runtime: Runtime, admin: H
) -> None:
    number = app_client.post(
        "/api/v1/incidents",
        headers=admin,
        json={"title": "Down", "severity": "P1", "commander": "primary-engineer-1"},
    ).json()["id"]
    url = f"/api/v1/incidents/{number}"
    evil = "https://evil.example.net/phish"
    facts = {"war_room_url": evil, "impact": "all", "actions": ["x"]}
    assert app_client.post(f"{url}/facts", headers=admin, json={"facts": facts}).status_code == 200
    preview = app_client.post(
        f"{url}/comms/preview",
        headers=admin,
        json={"template": "initial", "variant": "internal", "fields": {"war_room_url": evil}},
    )
    assert preview.status_code == 200, preview.text
    text = str(preview.json())
    assert evil not in text
    bridge = runtime.playbook.playbook.war_room.bridge_url
    assert bridge and bridge in text
