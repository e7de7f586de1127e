"""Slack-compatible slash commands and interactivity: the same verbs as the CLI and API.

Requests are verified with the signing secret (constant-time), refused when older than
five minutes, and refused when replayed (each signature is accepted once). Replies follow
Slack's conventions: errors and private confirmations are `ephemeral`; what the whole
incident channel should see is `in_channel`. Slack expects HTTP 200 within 3 seconds
even for an error, so refusals of *authentic* requests are 200 with an ephemeral text.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from firebell.api.problems import problem
from firebell.api.security import runtime_of
from firebell.auth.principal import Principal
from firebell.chat.commands import ChatCommand, CommandError, parse
from firebell.chat.signature import problem as signature_problem
from firebell.errors import DomainError, NotFound
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.store.db import reading, transaction
from firebell.store.models import ChatRequest, WarRoom

router = APIRouter(prefix="/api/v1/chat/slack", tags=["chat"])
BODY_LIMIT = 64 * 1024


def reply(text: str, in_channel: bool = False) -> JSONResponse:
    return JSONResponse(
        {"response_type": "in_channel" if in_channel else "ephemeral", "text": text}
    )


async def _authentic(request: Request, runtime: Runtime) -> bytes | Response:
    secret = runtime.settings.slack_signing_secret
    if not secret:
        return problem(404, "Not configured", "chat commands need FIREBELL_SLACK_SIGNING_SECRET")
    body = await request.body()
    if len(body) > BODY_LIMIT:
        return problem(413, "Payload too large", f"the limit is {BODY_LIMIT} bytes")
    signature = request.headers.get("x-slack-signature")
    why = signature_problem(
        secret, request.headers.get("x-slack-request-timestamp"), signature, body, time.time()
    )
    if why is not None:
        return problem(401, "Unauthorized", why)
    assert signature is not None

    def remember() -> bool:
        now = runtime.clock.now()
        try:
            with transaction(runtime.sessions) as session:
                session.execute(
                    delete(ChatRequest).where(ChatRequest.received_at < now - timedelta(minutes=10))
                )
                session.add(ChatRequest(signature=signature, received_at=now))
        except IntegrityError:
            return False
        return True

    if not await run_in_threadpool(remember):
        return problem(401, "Unauthorized", "this request was already received (replay)")
    return body


def _person(runtime: Runtime, user_id: str) -> str | None:
    """The playbook person with this chat user id. Only the id counts: display names can
    be changed by their owners, so they prove nothing."""
    for person in runtime.playbook.playbook.people:
        if person.chat_user_id and person.chat_user_id == user_id:
            return person.id
    return None


NOT_A_RESPONDER = (
    "firebell does not know you: ask an admin to add your chat user id "
    "(`chat_user_id`) to the playbook's people"
)


def _resolve_person(runtime: Runtime, name: str) -> str:
    for person in runtime.playbook.playbook.people:
        if name in (person.id, (person.chat or "").lstrip("@"), person.chat_user_id):
            return person.id
    return name


def _incident_for(runtime: Runtime, command: ChatCommand, channel_id: str) -> int:
    if command.incident is not None:
        return command.incident
    with reading(runtime.sessions) as session:
        room = session.scalars(select(WarRoom).where(WarRoom.channel_id == channel_id)).first()
    if room is None:
        raise NotFound(
            "this channel is not an incident channel; name the incident: /incident #42 ack"
        )
    return room.incident_id


def _best_effort_notify(
    runtime: Runtime, number: int, template: str, actor: Principal, fields: dict[str, Any]
) -> str:
    try:
        result = runtime.comms.notify(number, template, "all", fields, actor)
    except DomainError as exc:
        with transaction(runtime.sessions) as session:
            from firebell.incidents.service import record

            record(
                session,
                number,
                runtime.clock.now(),
                "firebell",
                f"{template}_notification_failed",
                {"reason": exc.detail},
            )
        return f" ({template} notification not sent: {exc.detail})"
    return f" ({template} notification: {result.messages} message(s))"


def _resolution_fields(runtime: Runtime, number: int, summary: str | None) -> dict[str, Any]:
    """What a resolution typed in chat can say without a form; facts set earlier win
    (template values come from the incident's facts first, then these)."""
    incident = runtime.incidents.get(number, Principal("firebell", "admin"))
    facts = incident.facts or {}
    with reading(runtime.sessions) as session:
        holders = runtime.command.holders(session, number)
    people = [p for names in holders.values() for p in names]
    if incident.commander:
        people.insert(0, incident.commander)
    fields: dict[str, Any] = {
        "resolution_summary": summary or "The incident was resolved.",
        "root_cause": "to be established in the post-mortem",
        "preventive_actions": ["To be agreed in the post-mortem"],
        "postmortem_url": "(link to follow)",
        "responders": [f"@{p}" for p in dict.fromkeys(people)],
    }
    return {k: v for k, v in fields.items() if k not in facts}


def execute(
    runtime: Runtime, command: ChatCommand, actor: Principal, channel_id: str
) -> JSONResponse:
    if command.verb == "declare":
        incident = runtime.incidents.declare(
            Declaration(
                title=command.args["title"], severity=command.args["severity"], commander=actor.name
            ),
            actor,
        )
        facts = {"impact": "under investigation", "actions": ["Investigating"]}
        runtime.comms.set_facts(incident.id, facts, actor)
        note = ""
        if incident.severity in ("P0", "P1"):
            note = _best_effort_notify(runtime, incident.id, "initial", actor, {})
        return reply(
            f"Declared #{incident.id} [{incident.severity}] {incident.title}; "
            f"IC: @{actor.name}{note}",
            in_channel=True,
        )
    number = _incident_for(runtime, command, channel_id)
    if command.verb == "ack":
        runtime.incidents.acknowledge(number, actor)
        return reply(f"#{number} acknowledged by @{actor.name}", in_channel=True)
    if command.verb == "role":
        person = _resolve_person(runtime, command.args["person"])
        runtime.command.assign_role(number, command.args["role"], person, actor)
        return reply(f"#{number}: @{person} is now {command.args['role']}", in_channel=True)
    if command.verb == "task":
        assignee = _resolve_person(runtime, command.args["assignee"])
        task = runtime.command.add_task(number, assignee, command.args["text"], actor)
        return reply(f"@{assignee}, please {task.text}. Confirm? (task {task.id})", in_channel=True)
    if command.verb == "update":
        runtime.incidents.add_note(number, command.args["text"], actor)
        note = _best_effort_notify(
            runtime, number, "update", actor, {"updates": [command.args["text"]]}
        )
        return reply(f"#{number} update: {command.args['text']}{note}", in_channel=True)
    if command.verb == "status":
        incident = runtime.incidents.set_status(number, command.args["status"], actor)
        return reply(f"#{number} is now {incident.status}", in_channel=True)
    if command.verb == "escalate":
        level = command.args.get("level")
        paged = runtime.incidents.escalate(
            number, int(level) if level else None, actor, runtime.pager.escalate
        )
        return reply(f"#{number}: paged escalation level {paged}", in_channel=True)
    if command.verb == "resolve":
        summary = command.args.get("summary")
        runtime.incidents.resolve(number, actor, summary)
        note = _best_effort_notify(
            runtime, number, "resolution", actor, _resolution_fields(runtime, number, summary)
        )
        return reply(f"#{number} resolved by @{actor.name}{note}", in_channel=True)
    return reply("unknown command")


@router.post("/commands")
async def slash_command(request: Request) -> Response:
    runtime = runtime_of(request)
    body = await _authentic(request, runtime)
    if isinstance(body, Response):
        return body
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    try:
        command = parse(form.get("text", ""))
    except CommandError as exc:
        return reply(str(exc))
    person = _person(runtime, form.get("user_id", ""))
    if person is None:
        return reply(NOT_A_RESPONDER)
    actor = Principal(person, "responder")
    try:
        return await run_in_threadpool(execute, runtime, command, actor, form.get("channel_id", ""))
    except DomainError as exc:
        return reply(f"Could not {command.verb}: {exc.detail}")


@router.post("/interactions")
async def interaction(request: Request) -> Response:
    """Buttons on firebell's messages: action_id `ack` / `resolve`, value = incident."""
    runtime = runtime_of(request)
    body = await _authentic(request, runtime)
    if isinstance(body, Response):
        return body
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    try:
        payload = json.loads(form.get("payload", ""))
        action = payload["actions"][0]
        verb, number = str(action["action_id"]), int(action["value"])
        user = payload.get("user") or {}
        channel = (payload.get("channel") or {}).get("id", "")
        if not isinstance(user, dict) or not isinstance(channel, str):
            raise TypeError("user and channel must be objects")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return problem(
            400,
            "Bad request",
            "payload must be Slack's block_actions JSON with "
            "actions[0].action_id and a numeric value",
        )
    if verb not in ("ack", "resolve"):
        return reply(f"unknown action '{verb}'")
    person = _person(runtime, str(user.get("id", "")))
    if person is None:
        return reply(NOT_A_RESPONDER)
    actor = Principal(person, "responder")
    try:
        return await run_in_threadpool(execute, runtime, ChatCommand(verb, number), actor, channel)
    except DomainError as exc:
        return reply(f"Could not {verb}: {exc.detail}")
