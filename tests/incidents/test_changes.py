"""The incidents list's change counter: a private incident's events move the overall
counter but never count as a change for someone who may not see it."""

from __future__ import annotations

from firebell.auth.principal import Principal
from firebell.incidents.changes import highest_event, latest_visible, visible_change
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime

ALICE = Principal("alice", "responder")
BOB = Principal("bob", "responder")
ROOT = Principal("root", "admin")


def test_private_changes_are_seen_by_members_and_admins_only(runtime: Runtime) -> None:
    public = runtime.incidents.declare(Declaration("Checkout down", "P1"), ALICE)
    with runtime.sessions() as session:
        seen = highest_event(session)
    assert latest_visible(runtime.sessions, runtime.incidents, BOB) == seen

    runtime.incidents.declare(Declaration("Leaked keys", "P0", private=True), ALICE)
    with runtime.sessions() as session:
        top = highest_event(session)
        assert top > seen
        assert visible_change(session, runtime.incidents, BOB, seen, top) is None
        assert visible_change(session, runtime.incidents, ALICE, seen, top) == top
        assert visible_change(session, runtime.incidents, ROOT, seen, top) == top
    assert latest_visible(runtime.sessions, runtime.incidents, BOB) == seen

    runtime.incidents.add_note(public.id, "rolled back", ALICE)
    with runtime.sessions() as session:
        newest = highest_event(session)
        assert visible_change(session, runtime.incidents, BOB, top, newest) == newest
        assert visible_change(session, runtime.incidents, BOB, newest) is None
