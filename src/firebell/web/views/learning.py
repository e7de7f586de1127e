"""Learning in the console: an incident's post-mortem (editor with a safe preview,
review and sign-off, meeting, export) and its action items, the action items of all
incidents. (Metrics are in `web/views/metrics.py`.)

Every call goes to the same service as the API route in `api/routes/learning.py`, with the
signed-in user's Principal, so the same roles and the same private-incident rule apply:
a post-mortem of an incident the reader may not see is a 404 here as there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from firebell.api.routes.learning import (
    MEDIA,
    ActionItemIn,
    ActionItemPatch,
    MeetingIn,
    MeetingNotesIn,
    PostmortemIn,
    SignoffIn,
    export_postmortem,
)
from firebell.auth.principal import Principal
from firebell.errors import DomainError, NotFound
from firebell.postmortems.actions import CLOSED, ItemEdit, ItemFilter, NewItem
from firebell.postmortems.export import markdown_html
from firebell.postmortems.models import ActionItem, Postmortem
from firebell.postmortems.rules import TRANSITIONS
from firebell.postmortems.sections import join, split
from firebell.postmortems.service import Edit
from firebell.web.console import (
    console_of,
    errors_of,
    form_of,
    principal_of,
    redirect,
    require_role,
    signed_in,
    validated,
)
from firebell.web.form_values import end_of_day, utc_time, words
from firebell.web.sessions import SignedIn
from firebell.web.views.status_admin import back_to

router = APIRouter(prefix="/console", include_in_schema=False)
SECTIONS_MAX = 200  # textareas on one page; more sections than this edit as one text
STATE_WORDS = {"draft": "Draft", "in_review": "In review", "published": "Published"}


def _not_found(request: Request, who: SignedIn, exc: DomainError) -> Response:
    return console_of(request).render(
        request, "refused.html", who, 404, title="No such incident", detail=exc.detail
    )


# --- the post-mortem page --------------------------------------------------------------


def _pm_page(
    request: Request,
    who: SignedIn,
    number: int,
    status: int = 200,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, str] | None = None,
    draft: str | None = None,
) -> Response:
    """The page; `draft` is unsaved text to show in the editor and the preview."""
    console = console_of(request)
    runtime = console.runtime
    actor = principal_of(who)
    try:
        incident = runtime.incidents.get(number, actor)  # the visibility check
    except NotFound as exc:
        return _not_found(request, who, exc)
    pm: Postmortem | None
    try:
        _incident, pm = runtime.postmortems.get(number, actor)
    except NotFound:
        pm = None
    items = runtime.action_items.list(ItemFilter(incident=number), actor)
    body = draft if draft is not None else (pm.body if pm else "")
    sections = split(body)
    pb = runtime.playbook.playbook
    now = runtime.clock.now()
    return console.render(
        request,
        "postmortem.html",
        who,
        status,
        i=incident,
        pm=pm,
        sections=sections if len(sections) <= SECTIONS_MAX else None,
        body=body,
        preview=markdown_html(body) if body else Markup(""),
        previewing=draft is not None,
        next_states=sorted(TRANSITIONS.get(pm.state, set())) if pm else [],
        state_words=STATE_WORDS,
        items=items,
        people=pb.people,
        names={p.id: p.name for p in pb.people},
        categories=pb.postmortems.action_item_types,
        can_act=actor.has("responder"),
        errors=errors or {},
        values=values or {},
        is_overdue=lambda item: overdue(item, now),
        here=f"/console/incidents/{number}/postmortem#action-items",
    )


@router.get("/incidents/{number}/postmortem", response_class=HTMLResponse)
def postmortem_page(number: int, request: Request) -> Response:
    return _pm_page(request, signed_in(request), number)


async def _pm_act(
    request: Request,
    who: SignedIn,
    number: int,
    kind: str,
    form: Mapping[str, str],
    work: Callable[[Principal], object],
    anchor: str = "",
) -> Response:
    try:
        await anyio.to_thread.run_sync(lambda: work(principal_of(who)))
    except NotFound as exc:
        return _not_found(request, who, exc)
    except DomainError as exc:
        draft = _posted_body(form) if kind == "edit" else None
        return _pm_page(request, who, number, exc.status, {kind: errors_of(exc)}, form, draft)
    return redirect(f"/console/incidents/{number}/postmortem{anchor}")


@router.post("/incidents/{number}/postmortem", response_model=None)
async def create_postmortem(number: int, request: Request) -> Response:
    """Start the post-mortem from the playbook's template, pre-filled (the draft)."""
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    return await _pm_act(
        request, who, number, "create", form, lambda p: runtime.postmortems.create(number, p)
    )


def _posted_body(form: Mapping[str, str]) -> str:
    """The editor's text: one textarea per section (section-0, section-1, ...) or one
    textarea for all (body)."""
    if "body" in form:
        return form["body"].replace("\r\n", "\n")
    parts: list[str] = []
    while f"section-{len(parts)}" in form and len(parts) <= SECTIONS_MAX:
        parts.append(form[f"section-{len(parts)}"])
    return join(parts)


@router.post("/incidents/{number}/postmortem/edit", response_model=None)
async def edit_postmortem(number: int, request: Request) -> Response:
    """'Preview' shows the text rendered without saving; 'Save' saves it."""
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    body = _posted_body(form)
    if form.get("do") == "preview":
        return _pm_page(request, who, number, 200, None, form, body)
    revision = form.get("revision", "")
    data: dict[str, Any] = {
        "body": body,
        "revision": int(revision) if revision.isdigit() else None,
        "public_summary": form.get("public_summary", "").replace("\r\n", "\n"),
    }
    if form.get("author", "").strip():
        data["author"] = form["author"].strip()

    def work(actor: Principal) -> object:
        edit = validated(PostmortemIn, data)
        return runtime.postmortems.update(number, Edit(**edit.model_dump()), actor)

    return await _pm_act(request, who, number, "edit", form, work, "#editor")


@router.post("/incidents/{number}/postmortem/state", response_model=None)
async def move_postmortem(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime

    def work(actor: Principal) -> object:
        edit = validated(PostmortemIn, {"state": form.get("state")})
        return runtime.postmortems.update(number, Edit(state=edit.state), actor)

    return await _pm_act(request, who, number, "state", form, work, "#review")


@router.post("/incidents/{number}/postmortem/signoff", response_model=None)
async def sign_off(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime

    def work(actor: Principal) -> object:
        body = validated(SignoffIn, {"reviewer": form.get("reviewer", "")})
        return runtime.postmortems.sign_off(number, body.reviewer, actor)

    return await _pm_act(request, who, number, "signoff", form, work, "#review")


@router.post("/incidents/{number}/postmortem/meeting", response_model=None)
async def schedule_meeting(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    invitees = words(form.get("invitees"))

    def work(actor: Principal) -> object:
        body = validated(MeetingIn, {"at": utc_time(form.get("at")), "invitees": invitees or None})
        return runtime.postmortems.schedule_meeting(number, actor, body.at, body.invitees)

    return await _pm_act(request, who, number, "meeting", form, work, "#meeting")


@router.post("/incidents/{number}/postmortem/meeting-notes", response_model=None)
async def meeting_notes(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    attended = [str(a) for a in (await request.form()).getlist("attended")]

    def work(actor: Principal) -> object:
        body = validated(
            MeetingNotesIn,
            {"attended": attended, "notes": form.get("notes", "").replace("\r\n", "\n")},
        )
        return runtime.postmortems.record_meeting(number, body.attended, body.notes, actor)

    return await _pm_act(request, who, number, "notes", form, work, "#meeting")


@router.get("/incidents/{number}/postmortem/export.{fmt}")
def export(number: int, fmt: Literal["md", "html", "pdf"], request: Request) -> Response:
    """The API's export (Markdown, HTML, PDF) for a signed-in reader."""
    who = signed_in(request)
    try:
        _incident, data = export_postmortem(request, number, fmt, principal_of(who))
    except NotFound as exc:
        return _not_found(request, who, exc)
    headers = {
        "Content-Disposition": f'inline; filename="postmortem-{number}.{fmt}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "html":  # its own inline stylesheet, and nothing else
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
        )
    return Response(data, media_type=MEDIA[fmt], headers=headers)


# --- action items -----------------------------------------------------------------------


@router.post("/incidents/{number}/action-items", response_model=None)
async def add_action_item(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime

    def work(actor: Principal) -> object:
        body = validated(
            ActionItemIn,
            {
                "category": form.get("category"),
                "title": form.get("title", "").strip(),
                "owner": form.get("owner", "").strip(),
                "due_at": end_of_day(form.get("due")),
                "priority": form.get("priority") or "P2",
            },
        )
        return runtime.action_items.add(number, NewItem(**body.model_dump()), actor)

    return await _pm_act(request, who, number, "item", form, work, "#action-items")


@router.post("/action-items/{item_id}", response_model=None)
async def edit_action_item(item_id: int, request: Request) -> Response:
    """Status, owner, due date or priority of one item; back to where the form was."""
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    patch: dict[str, Any] = {
        name: form[name].strip()
        for name in ("status", "owner", "priority", "title")
        if form.get(name, "").strip()
    }
    if form.get("due", "").strip() and form.get("due") != form.get("due_was"):
        patch["due_at"] = end_of_day(form.get("due"))
    try:
        body = validated(ActionItemPatch, patch)
        await anyio.to_thread.run_sync(
            lambda: runtime.action_items.update(
                item_id, ItemEdit(**body.model_dump(exclude_unset=True)), principal_of(who)
            )
        )
    except NotFound as exc:
        return console_of(request).render(
            request, "refused.html", who, 404, title="No such action item", detail=exc.detail
        )
    except DomainError as exc:
        return _items_page(request, who, ItemView(), exc.status, errors_of(exc), item_id)
    return redirect(back_to(form.get("next"), "/console/action-items"))


@dataclass(frozen=True)
class ItemView:
    owner: str = ""
    overdue: bool = False
    done: bool = False  # show done and cancelled items too

    def link(self, **change: Any) -> str:
        values = {**self.__dict__, **change}
        parts = [f"owner={values['owner']}"] if values["owner"] else []
        parts += [name + "=1" for name in ("overdue", "done") if values[name]]
        return "/console/action-items" + ("?" + "&".join(parts) if parts else "")


def overdue(item: ActionItem, now: datetime) -> bool:
    return item.status not in CLOSED and item.due_at is not None and item.due_at < now


def _items_page(
    request: Request,
    who: SignedIn,
    view: ItemView,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    failed: int | None = None,
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    actor = principal_of(who)
    now = runtime.clock.now()
    found = runtime.action_items.list(
        ItemFilter(owner=view.owner or None, open_only=not view.done), actor
    )
    if view.overdue:
        found = [i for i in found if overdue(i, now)]
    pb = runtime.playbook.playbook
    return console.render(
        request,
        "action_items.html",
        who,
        status,
        items=found,
        view=view,
        people=pb.people,
        names={p.id: p.name for p in pb.people},
        me=who.user.person,
        is_overdue=lambda item: overdue(item, now),
        can_act=actor.has("responder"),
        errors=errors or {},
        failed=failed,
        here=view.link(),
    )


@router.get("/action-items", response_class=HTMLResponse)
def action_items_page(
    request: Request, owner: str = "", overdue: int = 0, done: int = 0
) -> Response:
    who = signed_in(request)
    return _items_page(request, who, ItemView(owner.strip()[:200], bool(overdue), bool(done)))
