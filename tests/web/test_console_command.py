"""Roles, decisions and the runbook panel on the incident page, through the real app on
SQLite and PostgreSQL: plain form posts, the same services and checks as the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.models import RoleAssignment, TimelineEvent

from .support import csrf_of, make_user, sign_in

ALICE = Principal("alice", "responder")


def _signed_in(client: TestClient, runtime: Runtime, role: str = "responder") -> str:
    name = {"responder": "alice", "viewer": "val", "admin": "root"}[role]
    make_user(runtime, name, role, runtime.playbook.playbook.people[0].id)
    sign_in(client, name)
    return csrf_of(client.get("/console/incidents").text)


def _events(runtime: Runtime, number: int, kind: str) -> list[dict[str, object]]:
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(TimelineEvent.details).where(
                    TimelineEvent.incident_id == number, TimelineEvent.kind == kind
                )
            )
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_record_a_decision_with_what_why_and_who(app_client: TestClient, runtime: Runtime) -> None:
    token = _signed_in(app_client, runtime)
    number = runtime.incidents.declare(Declaration("Checkout errors", "P1"), ALICE).id
    url = f"/console/incidents/{number}/decisions"

    lonely = app_client.post(
        url, data={"csrf": token, "choice": "roll back", "others": "", "rationale": "kept"}
    )
    assert lonely.status_code == 422
    assert 'id="options-error"' in lonely.text and "kept" in lonely.text
    assert _events(runtime, number, "decision") == []  # nothing half-written

    done = app_client.post(
        url,
        data={
            "csrf": token,
            "choice": "roll back release 2026.11.3",
            "others": "fix forward\nwait and watch",
            "rationale": "the errors began with the deploy",
            "made_by": "primary-engineer-1",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("#decisions")
    [event] = _events(runtime, number, "decision")
    assert event == {
        "options": ["roll back release 2026.11.3", "fix forward", "wait and watch"],
        "choice": "roll back release 2026.11.3",
        "made_by": "primary-engineer-1",
        "rationale": "the errors began with the deploy",
    }
    page = app_client.get(f"/console/incidents/{number}").text
    side = _text(page.split('id="decisions"', 1)[1].split("</section>", 1)[0])
    assert "roll back release 2026.11.3" in side and "primary-engineer-1" in side
    assert "Why: the errors began with the deploy" in side
    assert "Instead of: fix forward; wait and watch" in side
    assert "Decision by primary-engineer-1: roll back release 2026.11.3" in _text(page)


def test_assign_and_release_roles_from_the_side_column(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _signed_in(app_client, runtime)
    number = runtime.incidents.declare(Declaration("Payments down", "P0"), ALICE).id
    people = [p.id for p in runtime.playbook.playbook.people]
    page = app_client.get(f"/console/incidents/{number}").text
    assert re.search(r"Roles missing: <strong>[^<]*Technical Lead", page)

    def post(path: str, **data: str) -> int:
        return app_client.post(
            f"/console/incidents/{number}/{path}",
            data={"csrf": token, **data},
            follow_redirects=False,
        ).status_code

    assert post("roles", role="tech_lead", person=people[1]) == 303
    assert post("roles", role="sme", person=people[2]) == 303
    assert post("roles", role="sme", person=people[3]) == 303
    page = app_client.get(f"/console/incidents/{number}").text
    header = page.split('id="incident-header"', 1)[1].split("</header>", 1)[0]
    assert "Roles missing" in header and "Technical Lead" not in header
    role_li = _text(page.split('id="role-sme"', 1)[1].split("</li>", 1)[0])
    assert people[2] in role_li and people[3] in role_li

    assert post("roles/release", role="tech_lead", person=people[1]) == 303
    assert post("roles/release", role="tech_lead", person=people[1]) == 409  # not held any more
    assert post("roles/release", role="ic", person="alice") == 422  # hand over instead
    assert post("roles", role="wizard", person=people[1]) == 422
    with runtime.sessions() as session:
        held = session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.incident_id == number, RoleAssignment.released_at.is_(None)
            )
        ).all()
    assert sorted(held) == ["sme", "sme"]
    assert [e["person"] for e in _events(runtime, number, "role_released")] == [people[1]]
    page = app_client.get(f"/console/incidents/{number}").text
    assert re.search(r"Roles missing: <strong>[^<]*Technical Lead", page)


def test_a_viewer_is_refused_every_command_action(app_client: TestClient, runtime: Runtime) -> None:
    token = _signed_in(app_client, runtime, "viewer")
    number = runtime.incidents.declare(Declaration("Slow search", "P2"), ALICE).id
    page = app_client.get(f"/console/incidents/{number}").text
    assert "Record a decision" not in page and "Assign a role" not in page
    assert "Start a runbook" not in page
    for path, data in [
        ("decisions", {"choice": "a", "others": "b"}),
        ("roles", {"role": "tech_lead", "person": "x"}),
        ("roles/release", {"role": "tech_lead", "person": "x"}),
        ("runbooks", {"workflow": "high-error-rate"}),
        ("runbooks/1/answer", {"step": "alert"}),
        ("runbooks/1/command", {"step": "check-logs", "confirm": "yes"}),
    ]:
        refused = app_client.post(
            f"/console/incidents/{number}/{path}", data={"csrf": token, **data}
        )
        assert refused.status_code == 403, path
        assert "needs the &#39;responder&#39; role" in refused.text
    assert _events(runtime, number, "decision") == []
    assert _events(runtime, number, "runbook_started") == []


def test_private_incident_actions_are_not_found_for_outsiders(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _signed_in(app_client, runtime)  # alice, a responder
    secret = runtime.incidents.declare(
        Declaration("Leaked keys", "P1", private=True), Principal("sec", "responder")
    )
    for path, data in [
        ("decisions", {"choice": "rotate", "others": "wait"}),
        ("roles", {"role": "tech_lead", "person": "alice"}),
        ("runbooks", {"workflow": "high-error-rate"}),
    ]:
        answer = app_client.post(
            f"/console/incidents/{secret.id}/{path}", data={"csrf": token, **data}
        )
        assert answer.status_code == 404, path
        assert "Leaked keys" not in answer.text


def _panel(html: str) -> str:
    return html.split('id="runbook"', 1)[1].split("</section>", 1)[0]


def test_runbook_panel_walks_a_workflow_with_plain_forms(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _signed_in(app_client, runtime)
    number = runtime.incidents.declare(Declaration("Error rate 4%", "P1"), ALICE).id
    page = app_client.get(f"/console/incidents/{number}").text
    assert 'value="high-error-rate"' in _panel(page)
    started = app_client.post(
        f"/console/incidents/{number}/runbooks",
        data={"csrf": token, "workflow": "high-error-rate"},
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"].endswith("#runbook")

    def say(step: str, answer: str | None = None) -> str:
        data = {"csrf": token, "step": step} | ({"answer": answer} if answer else {})
        response = app_client.post(f"/console/incidents/{number}/runbooks/1/answer", data=data)
        assert response.status_code == 200, response.text  # followed the redirect
        return _panel(response.text)

    say("alert")
    panel = say("acknowledge")
    # The check-logs step: its command with the workflow's values filled in, a Copy button,
    # a Run form (the playbook allows it for this step), and its two answers as buttons.
    assert (
        'value="kubectl logs -n aurigraph-production deployment/aurigraph-v11 --since=15m' in panel
    )
    assert 'data-copy="rb1-cmd-1"' in panel
    assert "Run this step's command" in panel
    assert 'name="answer" value="recent deployments"' in panel

    refused = app_client.post(
        f"/console/incidents/{number}/runbooks/1/command",
        data={"csrf": token, "step": "check-logs"},
    )
    assert refused.status_code == 422 and "confirm" in refused.text
    off = app_client.post(
        f"/console/incidents/{number}/runbooks/1/command",
        data={"csrf": token, "step": "check-logs", "confirm": "yes"},
    )
    assert off.status_code == 403
    assert "running runbook commands is off (set FIREBELL_RUNBOOK_ALLOW)" in unescape(off.text)
    assert _events(runtime, number, "runbook_command") == []

    wrong = app_client.post(
        f"/console/incidents/{number}/runbooks/1/answer",
        data={"csrf": token, "step": "check-logs", "answer": "maybe"},
    )
    assert wrong.status_code == 422 and "answer" in wrong.text
    panel = say("check-logs", "recent deployments")
    assert "Run this step" not in panel  # check-recent-deployments has no runnable command
    for step, answer in [
        ("check-recent-deployments", None),
        ("deployment-recent", "no"),
        ("apply-fix", None),
        ("monitor-30m", None),
        ("error-rate-normal", "yes"),
    ]:
        panel = say(step, answer)
    assert "Finish the runbook" in panel
    panel = say("resolved")
    assert "High Error Rate: finished" in panel
    history = _text(panel)
    assert "Check Logs (last 15 min), then follow both tracks in parallel → recent deployments" in (
        history
    )
    assert "Error Rate Normal? → yes" in history
    steps = _events(runtime, number, "runbook_step")
    assert [s["step"] for s in steps][-1] == "resolved"
    assert len(steps) == 9 and len(_events(runtime, number, "runbook_finished")) == 1


@pytest.fixture
def echo_runtime(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    """The default playbook, but check-logs runs `echo` (allowed by this server)."""
    text = default_playbook_text().replace(
        '          argv: [kubectl, logs, -n, "{{ namespace }}", "deployment/{{ deployment }}", '
        "--since=15m]",
        '          argv: [echo, "logs of {{ deployment }} token=s3cr3t-value-77"]',
    )
    assert "argv: [echo" in text
    path = tmp_path / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        playbook_path=path,
        runbook_allow=frozenset({"echo"}),
    )
    rt = build_runtime(settings, clock, migrate=False)
    yield rt
    rt.close()


def test_an_allowed_command_runs_after_confirmation_and_shows_redacted_output(
    echo_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREBELL_TEST_API_TOKEN", "s3cr3t-value-77")
    with TestClient(create_app(echo_runtime)) as client:
        token = _signed_in(client, echo_runtime)
        number = echo_runtime.incidents.declare(Declaration("Errors", "P1"), ALICE).id
        echo_runtime.runbooks.start(number, "high-error-rate", ALICE)
        echo_runtime.runbooks.answer(number, 1, "alert", None, ALICE)
        echo_runtime.runbooks.answer(number, 1, "acknowledge", None, ALICE)
        ran = client.post(
            f"/console/incidents/{number}/runbooks/1/command",
            data={"csrf": token, "step": "check-logs", "confirm": "yes"},
        )
        assert ran.status_code == 200
        panel = _panel(ran.text)
        assert "exit code <strong>0</strong>" in panel
        result = panel.split('id="rb1-result"', 1)[1].split("</div>", 1)[0]
        # The secret (in this playbook's argv and in the server's environment) is hidden in
        # what the command printed and in what the timeline keeps.
        assert "logs of aurigraph-v11 token=***" in result and "s3cr3t" not in result
        [event] = _events(echo_runtime, number, "runbook_command")
        assert event["exit_code"] == 0 and "s3cr3t" not in str(event)
