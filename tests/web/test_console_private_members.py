"""A private incident in the console: its members who are no admin see its page and its
live stream, a console user counts as the playbook person linked to it, others get 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from firebell.auth.principal import SYSTEM
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.web.console import console_of
from firebell.web.sessions import SignedIn
from firebell.web.views.incidents import _live_batch

from .support import accounts, make_user, sign_in


def _signed_in(runtime: Runtime, name: str) -> SignedIn:
    user = next(u for u in accounts(runtime).list() if u.name == name)
    return SignedIn(user, 0, "x")


def test_members_see_a_private_incident_and_its_live_stream(
    app_client: TestClient, runtime: Runtime
) -> None:
    people = runtime.playbook.playbook.people
    linked = people[0].id  # 'alice' acts as this person
    make_user(runtime, "alice", "responder", linked)
    make_user(runtime, "bob", "responder", people[1].id)
    make_user(runtime, "root", "admin")
    secret = runtime.incidents.declare(Declaration("Credential leak", "P1", private=True), SYSTEM)
    console = console_of(app_client)
    url = f"/console/incidents/{secret.id}"

    def page(name: str) -> int:
        app_client.cookies.clear()
        sign_in(app_client, name)
        return app_client.get(url).status_code

    def live(name: str) -> bool:
        try:
            return _live_batch(console, _signed_in(runtime, name), secret.id, 0) is not None
        except Exception as exc:
            assert type(exc).__name__ == "NotFound"
            return False

    assert [page(n) for n in ("alice", "bob", "root")] == [404, 404, 200]
    assert [live(n) for n in ("alice", "bob", "root")] == [False, False, True]
    # A role for the person the console user is linked to makes the user a member.
    runtime.command.assign_role(secret.id, "scribe", linked, SYSTEM)
    assert [page(n) for n in ("alice", "bob", "root")] == [200, 404, 200]
    assert [live(n) for n in ("alice", "bob", "root")] == [True, False, True]

    def listed(name: str) -> bool:
        app_client.cookies.clear()
        sign_in(app_client, name)
        return "Credential leak" in app_client.get("/console/incidents?status=all").text

    assert [listed(n) for n in ("alice", "bob", "root")] == [True, False, True]
