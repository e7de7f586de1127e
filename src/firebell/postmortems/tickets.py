"""Action items as Jira tickets (optional): a new item opens a ticket in the playbook's
`learning.action_item_ticket_project`; its status is read back on a schedule, and a
ticket that reaches Jira's "done" category marks the item done. Links go both ways:
the ticket's description names the incident and item, the item's links get the ticket.

Jira is called outside any transaction. The item is first marked `creating` (committed),
so a crash between Jira's answer and our commit leaves it `possibly_created`, shown on
the timeline, instead of opening a second ticket.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.channels.jira import PRIORITIES
from firebell.clock import Clock
from firebell.incidents.service import record
from firebell.playbook.schema import Playbook
from firebell.postmortems.models import ActionItem
from firebell.store.db import transaction

ACTOR = "firebell"
LEASE = timedelta(minutes=5)
RETRY = timedelta(minutes=1)
BATCH = 20
PASS_INTERVAL = 5.0  # seconds between passes
log = logging.getLogger("firebell.tickets")


class TicketError(Exception):
    pass


@dataclass(frozen=True)
class JiraTickets:
    """Jira REST v2: create an issue, read its status."""

    base_url: str
    email: str
    api_token: str
    timeout: float = 10.0

    def _call(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        try:
            response = httpx.request(
                method,
                self.base_url.rstrip("/") + path,
                auth=(self.email, self.api_token),
                timeout=self.timeout,
                headers={"Accept": "application/json"},
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise TicketError(f"Jira unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise TicketError(f"Jira answered {response.status_code}")
        data = response.json()
        if not isinstance(data, dict):
            raise TicketError("Jira answered something that is not an object")
        return data

    def create(self, project: str, summary: str, description: str, priority: str) -> str:
        fields: dict[str, object] = {
            "project": {"key": project},
            "summary": " ".join(summary.split())[:255],
            "description": description,
            "issuetype": {"name": "Task"},
            "labels": ["firebell", "action-item"],
        }
        if priority in PRIORITIES:
            fields["priority"] = {"name": PRIORITIES[priority]}
        key = self._call("POST", "/rest/api/2/issue", json={"fields": fields}).get("key")
        if not isinstance(key, str):
            raise TicketError("Jira's answer has no issue key")
        return key

    def status(self, key: str) -> tuple[str, str]:
        """(status name, status category key: new | indeterminate | done)."""
        data = self._call("GET", f"/rest/api/2/issue/{key}", params={"fields": "status"})
        fields = data.get("fields")
        status = fields.get("status") if isinstance(fields, dict) else None
        if not isinstance(status, dict):
            raise TicketError(f"Jira's answer for {key} has no status")
        category = status.get("statusCategory")
        category_key = category.get("key") if isinstance(category, dict) else None
        return str(status.get("name", "?")), str(category_key or "new")

    def browse_url(self, key: str) -> str:
        return f"{self.base_url.rstrip('/')}/browse/{key}"


class TicketSync:
    """An engine step: open requested tickets, then read back statuses that are due."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Playbook,
        tickets: Callable[[], JiraTickets | None],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.tickets = tickets
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last = float("-inf")

    def step(self) -> int:
        """The engine's hook: start a pass in a background thread (at most one at a time,
        at most every few seconds), so a slow Jira never delays a page."""
        if self.tickets() is None:
            return 0
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            if running or time.monotonic() - self._last < PASS_INTERVAL:
                return 0
            self._last = time.monotonic()
            self._thread = threading.Thread(target=self._pass, name="ticket-sync", daemon=True)
            self._thread.start()
        return 0

    def _pass(self) -> None:
        try:
            self.run_once()
        except Exception:  # the next pass tries again; the engine must not care
            log.exception("ticket sync pass failed")

    def run_once(self) -> int:
        jira = self.tickets()
        project = self.playbook.learning.action_item_ticket_project
        if jira is None:
            return 0
        done = 0
        if project:
            done += self._open(jira, project)
        return done + self._read_back(jira)

    def _open(self, jira: JiraTickets, project: str) -> int:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            self._give_up_stale(session, now)
            claimed = list(
                session.scalars(
                    select(ActionItem)
                    .where(
                        ActionItem.ticket_status == "requested",
                        or_(
                            ActionItem.ticket_checked_at.is_(None),
                            ActionItem.ticket_checked_at <= now - RETRY,
                        ),
                    )
                    .order_by(ActionItem.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            work = []
            for item in claimed:
                item.ticket_status, item.ticket_checked_at = "creating", now
                work.append(
                    (
                        item.id,
                        item.incident_id,
                        item.title,
                        item.category,
                        item.owner,
                        item.priority,
                    )
                )
        for item_id, incident_id, title, category, owner, priority in work:
            description = (
                f"Action item {item_id} ({category}) from firebell incident #{incident_id}.\n"
                f"Owner: {owner}. Close this ticket when the work is done; firebell reads "
                "its status back."
            )
            try:
                key = jira.create(project, title, description, priority)
            except TicketError as exc:
                self._settle(item_id, None, str(exc))
                continue
            self._settle(item_id, key, None, jira.browse_url(key))
        return len(work)

    def _give_up_stale(self, session: Session, now: datetime) -> None:
        for item in session.scalars(
            select(ActionItem).where(
                ActionItem.ticket_status == "creating", ActionItem.ticket_checked_at < now - LEASE
            )
        ):
            item.ticket_status = "possibly_created"
            record(
                session,
                item.incident_id,
                now,
                ACTOR,
                "action_item_ticket_unknown",
                {
                    "id": item.id,
                    "reason": "interrupted while Jira was creating it; check "
                    "Jira before asking for another",
                },
            )

    def _settle(self, item_id: int, key: str | None, error: str | None, url: str = "") -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            item = session.get(ActionItem, item_id, with_for_update=True)
            if item is None:
                return
            item.ticket_checked_at = now
            if key is None:
                item.ticket_status = "requested"  # tried again after RETRY
                record(
                    session,
                    item.incident_id,
                    now,
                    ACTOR,
                    "action_item_ticket_failed",
                    {"id": item.id, "error": error},
                )
                return
            item.ticket_key, item.ticket_status = key, "created"
            item.links = [*item.links, url]
            record(
                session,
                item.incident_id,
                now,
                ACTOR,
                "action_item_ticket_opened",
                {"id": item.id, "key": key, "url": url},
            )

    def _read_back(self, jira: JiraTickets) -> int:
        now = self.clock.now()
        due = now - self.playbook.learning.ticket_sync_interval.approx()
        with self.sessions() as session:
            keys = list(
                session.execute(
                    select(ActionItem.id, ActionItem.ticket_key)
                    .where(
                        ActionItem.ticket_key.is_not(None),
                        ActionItem.status.not_in(("done", "cancelled")),
                        ActionItem.ticket_checked_at <= due,
                    )
                    .order_by(ActionItem.ticket_checked_at)
                    .limit(BATCH)
                ).all()
            )
        for item_id, key in keys:
            try:
                name, category = jira.status(str(key))
            except TicketError:
                name, category = "", ""
            with transaction(self.sessions) as session:
                item = session.get(ActionItem, item_id, with_for_update=True)
                if item is None:
                    continue
                item.ticket_checked_at = now
                if not name:
                    continue
                item.ticket_status = name
                if category == "done" and item.status not in ("done", "cancelled"):
                    before = item.status
                    item.status, item.done_at, item.updated_at = "done", now, now
                    record(
                        session,
                        item.incident_id,
                        now,
                        ACTOR,
                        "action_item_updated",
                        {
                            "id": item.id,
                            "status": {"from": before, "to": "done"},
                            "by": f"Jira {key}: {name}",
                        },
                    )
        return len(keys)
