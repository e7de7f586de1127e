"""The war room: requested in the incident's transaction, opened by the engine.

Opening calls the chat system (create the channel, set its topic, invite people, post
the bridge link). Those calls cannot share a database transaction, so the request is a
durable `war_rooms` row; the engine claims it with a lease, makes the calls, and
records the outcome. A crash mid-way leaves the row to be claimed again; creating a
channel that already exists finds it instead (so a retry does not make a second one).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.channels.base import DeliveryError
from firebell.channels.headers import one_line
from firebell.clock import Clock
from firebell.comms import context as ctx
from firebell.comms.render import TemplateProblem, render
from firebell.incidents.lifecycle import Change
from firebell.incidents.service import record
from firebell.paging.schedules import on_call
from firebell.paging.service import overrides_for
from firebell.playbook.schema import Playbook
from firebell.store.db import transaction
from firebell.store.models import Incident, Timer, WarRoom
from firebell.store.outbox import enqueue

log = logging.getLogger("firebell.war_room")
ACTOR = "firebell"
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5


class ChatApi(Protocol):
    def create_channel(self, name: str, is_private: bool = False) -> str: ...
    def set_topic(self, channel: str, topic: str) -> None: ...
    def invite(self, channel: str, user_ids: list[str]) -> None: ...
    def post_message(self, channel: str, text: str, blocks: Any = None) -> str: ...


@dataclass(frozen=True)
class Opening:
    """A claimed war room, to open outside the transaction. A private incident's
    channel is created private (Slack `is_private`)."""

    incident_id: int
    name: str
    topic: str
    bridge: str | None
    people: list[str]
    private: bool


class WarRooms:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        chat: Callable[[], ChatApi | None],
        bridge_base_url: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.chat = chat
        self.bridge_base_url = bridge_base_url

    # --- in the incident's transaction ---------------------------------------------------

    def bridge_for(self, incident: Incident) -> str | None:
        """A generated room on a Jitsi-style server, else the playbook's static bridge."""
        if self.bridge_base_url:
            room = f"firebell-{incident.id}-{secrets.token_hex(4)}"
            return f"{self.bridge_base_url.rstrip('/')}/{room}"
        return self.playbook.war_room.bridge_url

    def request(self, session: Session, incident: Incident, rule: str, now: datetime) -> bool:
        """Ask for the war room (once per incident). True if this call asked."""
        if session.get(WarRoom, incident.id) is not None:
            return False
        bridge = self.bridge_for(incident)
        name = ctx.channel_name(self.playbook, incident)
        topic = self._topic(incident, bridge, now)
        session.add(
            WarRoom(
                incident_id=incident.id,
                state="pending",
                rule=rule,
                channel_name=name[:80],
                channel_id=None,
                topic=topic[:250],
                bridge_url=bridge,
                invitees={"people": self._invitees(session, incident, now)},
                attempts=0,
                lease_until=None,
                last_error=None,
                requested_at=now,
                opened_at=None,
            )
        )
        record(
            session,
            incident.id,
            now,
            ACTOR,
            "war_room_requested",
            {"rule": rule, "channel": f"#{name}", "bridge": bridge},
        )
        return True

    def on_change(
        self, session: Session, incident: Incident, change: Change, now: datetime
    ) -> None:
        """The topic names the commander: when the commander changes, so does the topic
        (of a room still pending, in its row; of an open room, through the outbox)."""
        if "commander" not in change.fields:
            return
        row = session.get(WarRoom, incident.id, with_for_update=True)
        if row is None or row.state in ("failed", "closed"):
            return
        topic = self._topic(incident, row.bridge_url, now)[:250]
        if topic == row.topic:
            return
        row.topic = topic
        if row.state != "open" or not row.channel_id:
            return  # opening picks the new topic up from the row
        enqueue(
            session,
            purpose="war_room",
            method="chat",
            address=row.channel_id,
            subject="topic",
            body=topic,
            dedupe_key=f"topic:{incident.id}:{now.isoformat()}:{incident.commander}",
            now=now,
            incident=incident,
            payload={"set_topic": True},
        )
        record(session, incident.id, now, ACTOR, "war_room_topic_changed", {"topic": topic})

    def _topic(self, incident: Incident, bridge: str | None, now: datetime) -> str:
        context = ctx.build(self.playbook, incident, now, None)
        if bridge:
            context["war_room_url"] = bridge  # this room's own link (not a fact's)
        context["incident"].setdefault("commander", "(unassigned)")
        spec = self.playbook.war_room
        field, template = (
            ("war_room.private_topic", spec.private_topic)
            if incident.private
            else ("war_room.topic", spec.topic)
        )
        try:
            return one_line(render(field, template, context), 250)
        except TemplateProblem as exc:
            what = f"Private incident INC-{incident.id}" if incident.private else incident.title
            return f"[{incident.severity}] {what} ({exc.reason})"

    def _invitees(self, session: Session, incident: Incident, now: datetime) -> list[str]:
        """The playbook's invite list: @oncall (level 1 of the service's policy),
        @team-lead (the owner team's lead), or a person's id or chat handle."""
        if incident.drill and incident.drill_participants:
            return list(incident.drill_participants)  # a drill invites its participants only
        pb = self.playbook
        service = pb.service(incident.service) if incident.service else None
        team = next((t for t in pb.teams if service and t.id == service.owner_team), None)
        policy_id = (
            service.escalation_policy
            if service and service.escalation_policy
            else pb.escalation.default_policy
        )
        policy = next(p for p in pb.escalation_policies if p.id == policy_id)
        people: list[str] = []
        for entry in pb.war_room.invite:
            name = entry.lstrip("@")
            if name == "oncall":
                for target in policy.levels[0].targets:
                    if target.type == "schedule":
                        who = on_call(pb, target.id, now, overrides_for(session, target.id, now))
                        if who:
                            people.append(who)
                    elif target.type == "person":
                        people.append(target.id)
            elif name == "team-lead":
                if team is not None and team.lead:
                    people.append(team.lead)
            else:
                match = next(
                    (p.id for p in pb.people if p.id == name or (p.chat or "").lstrip("@") == name),
                    None,
                )
                if match:
                    people.append(match)
        return list(dict.fromkeys(people))

    # --- the engine step --------------------------------------------------------------

    def open_pending(self) -> int:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            rows = list(
                session.scalars(
                    select(WarRoom)
                    .where(
                        or_(
                            WarRoom.state == "pending",
                            (WarRoom.state == "opening") & (WarRoom.lease_until < now),
                        )
                    )
                    .limit(10)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.state, row.lease_until = "opening", now + LEASE
                row.attempts += 1
            private = set(
                session.scalars(
                    select(Incident.id).where(
                        Incident.id.in_([r.incident_id for r in rows]), Incident.private
                    )
                )
            )
            claimed = [
                Opening(
                    r.incident_id,
                    r.channel_name,
                    r.topic,
                    r.bridge_url,
                    list(r.invitees.get("people", [])),
                    r.incident_id in private,
                )
                for r in rows
            ]
        for opening in claimed:
            self._open(opening)
        return len(claimed)

    def _open(self, opening: Opening) -> None:
        incident_id, name, topic, bridge, people = (
            opening.incident_id,
            opening.name,
            opening.topic,
            opening.bridge,
            opening.people,
        )
        chat = self.chat()
        channel_id: str | None = None
        invited: list[str] = []
        not_invited: list[str] = []
        error: DeliveryError | None = None
        if chat is not None:
            by_id = {p.id: p for p in self.playbook.people}
            users = []
            for person in people:
                user = by_id[person].chat_user_id if person in by_id else None
                if user:
                    users.append(user)
                    invited.append(person)
                else:
                    not_invited.append(f"{person}: no chat user id")
            try:
                channel_id = chat.create_channel(name, is_private=opening.private)
                chat.set_topic(channel_id, topic)
                if users:
                    chat.invite(channel_id, users)
                if bridge:
                    chat.post_message(channel_id, f"War room bridge: {bridge} (join now)")
            except DeliveryError as exc:
                error = exc
        self._settle(incident_id, channel_id, invited, not_invited, error, chat is not None)

    def _settle(
        self,
        incident_id: int,
        channel_id: str | None,
        invited: list[str],
        not_invited: list[str],
        error: DeliveryError | None,
        has_chat: bool,
    ) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(WarRoom, incident_id, with_for_update=True)
            if row is None or row.state != "opening":
                return
            row.lease_until = None
            if error is not None:
                row.last_error = str(error)
                if error.transient and row.attempts < MAX_ATTEMPTS:
                    row.state = "pending"
                    return
                row.state = "failed"
                record(
                    session,
                    incident_id,
                    now,
                    ACTOR,
                    "war_room_failed",
                    {"error": str(error), "attempts": row.attempts},
                )
                return
            row.state, row.channel_id, row.opened_at = "open", channel_id, now
            details: dict[str, Any] = {
                "channel": f"#{row.channel_name}",
                "channel_id": channel_id,
                "topic": row.topic,
                "bridge": row.bridge_url,
                "invited": invited,
                "not_invited": not_invited,
            }
            if not has_chat:
                details["note"] = "no chat API configured: the channel was not created"
            record(session, incident_id, now, ACTOR, "war_room_opened", details)
            self._arm_checkpoint(session, incident_id, now)

    # --- checkpoints --------------------------------------------------------------------

    def _arm_checkpoint(self, session: Session, incident_id: int, now: datetime) -> None:
        interval = self.playbook.war_room.checkpoints.interval
        session.add(
            Timer(
                kind="checkpoint",
                due_at=interval.after(now),
                status="pending",
                incident_id=incident_id,
                generation=0,
                payload={},
                created_at=now,
            )
        )

    def checkpoint(self, session: Session, timer: Timer, now: datetime) -> None:
        """Every interval while the war room is open: ask the IC for a status update."""
        incident = session.get(Incident, timer.incident_id)
        row = session.get(WarRoom, timer.incident_id)
        if (
            incident is None
            or row is None
            or row.state != "open"
            or incident.status in ("resolved", "closed")
        ):
            return
        text = self.playbook.war_room.checkpoints.message
        record(session, incident.id, now, ACTOR, "checkpoint", {"text": text})
        self.post(session, incident, row, text, f"checkpoint:{incident.id}:{now.isoformat()}", now)
        self._arm_checkpoint(session, incident.id, now)

    def post(
        self,
        session: Session,
        incident: Incident,
        row: WarRoom | None,
        text: str,
        key: str,
        now: datetime,
    ) -> bool:
        """Queue a post to the incident channel (if it exists)."""
        if row is None or not row.channel_id:
            return False
        enqueue(
            session,
            purpose="war_room",
            method="chat",
            address=row.channel_id,
            subject=f"#{incident.id}",
            body=text,
            dedupe_key=key,
            now=now,
            incident=incident,
        )
        return True
