"""Post-mortems, action items and metrics in the console through the real app on SQLite
and PostgreSQL: the same services and checks as the API (roles, private incidents), a
preview that never lets the author's HTML through, and the API's numbers on the page."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration
from firebell.postmortems.actions import NewItem
from firebell.postmortems.models import ActionItem, Postmortem
from firebell.postmortems.sections import join, split
from firebell.reports.units import duration, pct
from firebell.runtime import Runtime
from firebell.web.form_values import end_of_day

from .support import csrf_of, first_person, make_user, sign_in

ALICE = Principal("alice", "responder")
SCRIPT = "<script>window.pwned = 1</script> and <img src=x onerror=alert(1)>"


def _as(client: TestClient, runtime: Runtime, name: str, role: str) -> str:
    client.cookies.clear()
    make_user(runtime, name, role, first_person(runtime) if role != "viewer" else None)
    sign_in(client, name)
    return csrf_of(client.get("/console/profile").text)


def _resolved(runtime: Runtime, title: str = "Checkout is down", **extra: object) -> int:
    incident = runtime.incidents.declare(
        Declaration(title, "P1", service="platform", **extra),
        ALICE,  # type: ignore[arg-type]
    )
    runtime.incidents.acknowledge(incident.id, ALICE)
    runtime.incidents.resolve(incident.id, ALICE, "rolled back")
    return incident.id


def _pm(runtime: Runtime, number: int) -> Postmortem:
    with runtime.sessions() as session:
        pm = session.get(Postmortem, number)
        assert pm is not None
        return pm


def _sections(html: str) -> dict[str, str]:
    found = re.findall(
        r'<textarea id="(section-\d+)" name="section-\d+"[^>]*>(.*?)</textarea>', html, re.S
    )
    return {name: unescape(text) for name, text in found}


def test_create_edit_preview_and_save_a_postmortem(
    app_client: TestClient, runtime: Runtime
) -> None:
    number = runtime.incidents.declare(Declaration("Search index stale", "P2"), ALICE).id
    token = _as(app_client, runtime, "alice", "responder")
    page = app_client.get(f"/console/incidents/{number}/postmortem").text
    assert "no post-mortem yet" in page and "Start from the draft" in page
    created = app_client.post(
        f"/console/incidents/{number}/postmortem", data={"csrf": token}, follow_redirects=False
    )
    assert created.status_code == 303
    page = app_client.get(f"/console/incidents/{number}/postmortem").text
    sections = _sections(page)
    assert len(sections) > 3  # one textarea per '## ' section of the playbook's template
    assert join(list(sections.values())) == _pm(runtime, number).body
    assert "Executive Summary" in page

    # Preview: the text rendered, the author's HTML shown as text, nothing saved.
    edited = dict(sections)
    edited["section-1"] = (
        sections["section-1"].rstrip("\n") + f"\n\nWe wrote **bold** and {SCRIPT}\n"
    )
    before = _pm(runtime, number)
    preview = app_client.post(
        f"/console/incidents/{number}/postmortem/edit",
        data={"csrf": token, "do": "preview", "revision": str(before.revision), **edited},
    )
    assert preview.status_code == 200
    rendered = preview.text.split('id="pm-preview">', 1)[1].split("</section>", 1)[0]
    assert "<strong>bold</strong>" in rendered
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in rendered
    assert "<script>window" not in preview.text and "<img src=x" not in preview.text
    assert "(not saved)" in preview.text
    assert (
        _pm(runtime, number).body == before.body
        and _pm(runtime, number).revision == before.revision
    )

    saved = app_client.post(
        f"/console/incidents/{number}/postmortem/edit",
        data={"csrf": token, "do": "save", "revision": str(before.revision), **edited},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = _pm(runtime, number)
    assert SCRIPT in after.body and after.revision == before.revision + 1
    page = app_client.get(f"/console/incidents/{number}/postmortem").text
    assert "<script>window" not in page and "&lt;script&gt;window.pwned" in page

    # A stale revision is refused with the reason, and the typed text is kept.
    stale = app_client.post(
        f"/console/incidents/{number}/postmortem/edit",
        data={
            "csrf": token,
            "do": "save",
            "revision": str(before.revision),
            **edited,
            "section-0": "# Mine\n",
        },
    )
    assert stale.status_code == 409 and "reload it" in stale.text
    assert _sections(stale.text)["section-0"] == "# Mine\n"
    assert _pm(runtime, number).revision == after.revision

    md = app_client.get(f"/console/incidents/{number}/postmortem/export.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert SCRIPT in md.text and "## Tracked in firebell" in md.text
    html = app_client.get(f"/console/incidents/{number}/postmortem/export.html")
    assert "<script>window" not in html.text and "&lt;script&gt;" in html.text


def test_review_signoff_publish_and_meeting(app_client: TestClient, runtime: Runtime) -> None:
    number = _resolved(runtime)  # a P1: resolving starts the post-mortem by itself
    pm = _pm(runtime, number)
    assert pm.reviewers
    token = _as(app_client, runtime, "alice", "responder")
    base = f"/console/incidents/{number}/postmortem"

    def post(path: str, **data: object) -> int:
        return app_client.post(
            base + path, data={"csrf": token, **data}, follow_redirects=False
        ).status_code

    early = app_client.post(base + "/state", data={"csrf": token, "state": "published"})
    assert early.status_code == 409 and 'class="notice error"' in early.text
    assert post("/state", state="in_review") == 303
    page = app_client.get(base).text
    for reviewer in pm.reviewers:
        assert f"Sign off as {reviewer}" in unescape(page)
    bad = app_client.post(base + "/signoff", data={"csrf": token, "reviewer": "Nobody"})
    assert bad.status_code == 422 and "reviewer" in bad.text
    for reviewer in pm.reviewers:
        assert post("/signoff", reviewer=reviewer) == 303
    assert post("/state", state="published") == 303
    published = _pm(runtime, number)
    assert published.state == "published" and set(published.signoffs) == set(pm.reviewers)
    page = app_client.get(base).text
    assert 'id="pm-state">Published' in page and "readonly" in page

    assert post("/meeting", at="", invitees="") == 303
    pm = _pm(runtime, number)
    assert pm.meeting_at is not None and pm.meeting_invitees
    attendee = pm.meeting_invitees[0]
    notes = app_client.post(
        base + "/meeting-notes",
        data={"csrf": token, "attended": [attendee], "notes": "Agreed on canaries."},
        follow_redirects=False,
    )
    assert notes.status_code == 303
    pm = _pm(runtime, number)
    assert pm.meeting_attended == [attendee] and pm.meeting_notes == "Agreed on canaries."
    wrong = app_client.post(base + "/meeting", data={"csrf": token, "at": "2020-01-01T10:00"})
    assert wrong.status_code in (409, 422) and 'class="notice error"' in wrong.text


def test_action_items_add_filter_and_mark_done(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    number = _resolved(runtime)
    token = _as(app_client, runtime, "alice", "responder")
    owner = runtime.playbook.playbook.people[1].id
    due = (clock.now() + timedelta(days=3)).strftime("%Y-%m-%d")

    def add(title: str, due: str) -> int:
        return app_client.post(
            f"/console/incidents/{number}/action-items",
            data={
                "csrf": token,
                "title": title,
                "category": "prevent",
                "owner": owner,
                "due": due,
                "priority": "P1",
            },
            follow_redirects=False,
        ).status_code

    assert add("Add a canary stage", due) == 303
    assert (
        add("Alert on replica lag", (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")) == 303
    )
    bad = app_client.post(
        f"/console/incidents/{number}/action-items",
        data={"csrf": token, "title": "", "category": "improve", "owner": owner},
    )
    assert bad.status_code == 422 and 'id="title-error"' in bad.text
    with runtime.sessions() as session:
        items = {i.title: i for i in session.scalars(select(ActionItem))}
    assert set(items) == {"Add a canary stage", "Alert on replica lag"}
    assert items["Add a canary stage"].due_at.isoformat().startswith(f"{due}T23:59")  # type: ignore[union-attr]

    listing = app_client.get("/console/action-items").text
    assert "Add a canary stage" in listing and "Alert on replica lag" in listing
    clock.advance(timedelta(days=2))  # the second is overdue now, the first not
    sign_in(app_client, "alice")  # the session idled out meanwhile
    token = csrf_of(app_client.get("/console/profile").text)
    overdue = app_client.get("/console/action-items?overdue=1").text
    assert "Alert on replica lag" in overdue and "Add a canary stage" not in overdue
    mine = app_client.get(
        f"/console/action-items?owner={runtime.playbook.playbook.people[0].id}"
    ).text
    assert "Add a canary stage" not in mine

    done = app_client.post(
        f"/console/action-items/{items['Alert on replica lag'].id}",
        data={"csrf": token, "status": "done", "next": "/console/action-items?overdue=1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/action-items?overdue=1"
    with runtime.sessions() as session:
        row = session.get(ActionItem, items["Alert on replica lag"].id)
        assert row is not None and row.status == "done" and row.done_at == clock.now()
    assert "Alert on replica lag" not in app_client.get("/console/action-items").text
    assert "Alert on replica lag" in app_client.get("/console/action-items?done=1").text
    # Editing the status alone leaves the due date as it was.
    first = items["Add a canary stage"]
    app_client.post(
        f"/console/action-items/{first.id}",
        data={
            "csrf": token,
            "status": "in_progress",
            "owner": owner,
            "due": due,
            "due_was": due,
            "priority": "P1",
        },
    )
    with runtime.sessions() as session:
        row = session.get(ActionItem, first.id)
        assert row is not None and row.status == "in_progress" and row.due_at == first.due_at
    odd = app_client.post(
        f"/console/action-items/{first.id}", data={"csrf": token, "status": "finished"}
    )
    assert odd.status_code == 422 and "status" in odd.text


def test_viewer_is_refused_and_a_private_postmortem_is_hidden(
    app_client: TestClient, runtime: Runtime
) -> None:
    public = _resolved(runtime)
    secret = _resolved(runtime, "Leaked signing key", private=True)
    runtime.action_items.add(
        secret,
        NewItem("prevent", "Rotate every key", "alice"),
        ALICE,
    )
    token = _as(app_client, runtime, "val", "viewer")
    assert app_client.get(f"/console/incidents/{public}/postmortem").status_code == 200
    for path, data in (
        (f"/console/incidents/{public}/postmortem/edit", {"do": "save", "section-0": "x"}),
        (f"/console/incidents/{public}/postmortem/state", {"state": "in_review"}),
        (
            f"/console/incidents/{public}/action-items",
            {"title": "x", "category": "prevent", "owner": "x"},
        ),
    ):
        r = app_client.post(path, data={"csrf": token, **data})
        assert r.status_code == 403 and "Not allowed" in r.text, path
    assert _pm(runtime, public).revision == 1

    token = _as(app_client, runtime, "mallory", "responder")
    for path in (
        f"/console/incidents/{secret}/postmortem",
        f"/console/incidents/{secret}/postmortem/export.md",
        f"/console/incidents/{secret}/postmortem/export.pdf",
    ):
        r = app_client.get(path)
        assert r.status_code == 404 and "Leaked" not in r.text, path
    r = app_client.post(
        f"/console/incidents/{secret}/postmortem/edit",
        data={"csrf": token, "do": "save", "section-0": "owned"},
    )
    assert r.status_code == 404 and _pm(runtime, secret).body != "owned"
    assert "Rotate every key" not in app_client.get("/console/action-items?done=1").text

    _as(app_client, runtime, "alice", "responder")  # a member: declared it
    page = app_client.get(f"/console/incidents/{secret}/postmortem").text
    assert "Leaked signing key" in page and "Rotate every key" in page


def _api_metrics(
    client: TestClient, headers: dict[str, str], since: str, until: str
) -> dict[str, object]:
    r = client.get("/api/v1/metrics", params={"since": since, "until": until}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}">(.*?)</', html, re.S)
    assert match, element_id
    return unescape(match.group(1)).strip()


def test_metrics_page_shows_the_apis_numbers(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock, viewer: dict[str, str]
) -> None:
    start = clock.now()
    for k, (severity, ack, fix) in enumerate((("P1", 4, 50), ("P1", 12, 200), ("P2", 30, 600))):
        incident = runtime.incidents.declare(
            Declaration(f"Incident {k}", severity, service="platform"), ALICE
        )
        clock.advance(timedelta(minutes=ack))
        runtime.incidents.acknowledge(incident.id, ALICE)
        clock.advance(timedelta(minutes=fix - ack))
        runtime.incidents.resolve(incident.id, ALICE, "fixed")
    runtime.incidents.declare(Declaration("Still open", "P2", service="platform"), ALICE)
    drill = runtime.incidents.declare(Declaration("Practice", "P1", drill=True), ALICE)
    assert drill.drill
    clock.advance(timedelta(hours=1))
    _as(app_client, runtime, "val", "viewer")

    page = app_client.get("/console/metrics?days=30")
    assert page.status_code == 200
    now = clock.now()
    api = _api_metrics(app_client, viewer, (now - timedelta(days=30)).isoformat(), now.isoformat())
    groups = {(g["dimension"], g["key"]): g for g in api["groups"]}  # type: ignore[attr-defined]
    overall = groups[("all", "all")]
    assert _cell(page.text, "total") == str(overall["count"]) == "4"  # the drill is not counted
    assert _cell(page.text, "mtta") == duration(overall["mtta"]["mean"])
    assert _cell(page.text, "mttr") == duration(overall["mttr"]["mean"])
    assert _cell(page.text, "sla-response") == pct(overall["sla_response"]["percent"])
    p1 = page.text.split('id="severity-P1"', 1)[1].split("</tr>", 1)[0]
    assert duration(groups[("severity", "P1")]["mtta"]["mean"]) in p1
    assert "<svg" in page.text and "<title" in page.text and "<desc" in page.text
    assert "Incidents by severity" in page.text and "<table" in page.text
    assert "Drills are excluded (1 in this period)" in page.text

    month = f"{start:%Y-%m}"
    monthly = app_client.get(f"/console/metrics?month={month}").text
    api = _api_metrics(app_client, viewer, f"{month}-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert _cell(monthly, "total") == str(api["groups"][0]["count"])  # type: ignore[index]
    bad = app_client.get("/console/metrics?month=November")
    assert bad.status_code == 422 and "month" in bad.text
    review = app_client.get(f"/console/metrics/monthly?month={month}")
    assert review.status_code == 200 and "Monthly incident review" in review.text


def test_pure_helpers() -> None:
    text = "# T\n\nintro\n## A\n\n```\n## not a heading\n```\n## B\nlast"
    parts = split(text)
    assert [p.heading for p in parts] == ["", "A", "B"]
    assert join([p.text for p in parts]) == text
    assert join(["# T", "## A\r\nx"]) == "# T\n## A\nx"  # a textarea drops the final newline
    assert split("") and join([p.text for p in split("")]) == ""
    assert end_of_day("2026-12-10") == "2026-12-10T23:59Z"
    assert end_of_day("") is None


@given(
    st.lists(
        st.sampled_from(["## A", "## B b", "### c", "```", "~~~", "text", "", "  ## d", "x ## y"]),
        max_size=30,
    ),
    st.booleans(),
)
def test_sections_put_back_together_give_the_text(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    parts = split(text)
    assert join([p.text for p in parts]) == text
    assert all(p.text.lstrip(" ").startswith("## ") for p in parts[1:])
