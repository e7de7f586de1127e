"""Wiring: one object that holds the database, the playbook, the clock and the services.

`firebell serve`, `firebell worker`, offline CLI commands and the tests all build the same
Runtime, so there is exactly one way the pieces are put together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine as DbEngine
from sqlalchemy.orm import Session, sessionmaker

from firebell.api.ratelimit import TokenBuckets
from firebell.auth.keys import derive, master_key
from firebell.auth.principal import Principal
from firebell.channels.base import Channel
from firebell.channels.console import ConsoleChannel, ConsolePages
from firebell.channels.email import EmailChannel
from firebell.channels.registry import build_channels
from firebell.channels.slack_api import SlackApi
from firebell.channels.webhook import WebhookChannel
from firebell.clock import Clock, SystemClock
from firebell.command.roles import IncidentCommand
from firebell.command.war_room import WarRooms
from firebell.command.watch import KIND as WATCH_KIND
from firebell.command.watch import Watcher
from firebell.comms.service import CADENCE, Comms
from firebell.config import Settings
from firebell.engine.wakeup import install as install_wakeup
from firebell.engine.worker import Engine
from firebell.incidents.service import IncidentService
from firebell.intake import heartbeats
from firebell.intake.ingest import Ingestor
from firebell.intake.integrations import Integrations
from firebell.intake.writer import IntakeWriter
from firebell.paging.service import Pager
from firebell.playbook.loader import LoadedPlaybook, load_playbook
from firebell.postmortems import actions as action_items
from firebell.postmortems import service as postmortems
from firebell.postmortems import tickets
from firebell.reports.delivery import MonthlyMailer
from firebell.reports.service import Reports
from firebell.schedules.handoffs import HandoffNotifier
from firebell.schedules.service import Schedules
from firebell.statuspage.maintenance import TIMER as MAINTENANCE_TIMER
from firebell.statuspage.service import StatusPageService
from firebell.statuspage.webhook import SubscriberWebhook
from firebell.store.db import make_engine, make_sessionmaker, serialize, transaction
from firebell.store.migrate import STARTUP_LOCK, upgrade
from firebell.store.models import PlaybookVersion
from firebell.store.private_files import prepare_sqlite, private_dir
from firebell.workflows.automation import KIND as RULE_KIND
from firebell.workflows.automation import Automation
from firebell.workflows.drill_reminders import KIND as DRILL_REMINDER_KIND
from firebell.workflows.drill_reminders import DrillReminders
from firebell.workflows.drill_service import Drills
from firebell.workflows.service import ActionPorts, Runbooks


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    playbook: LoadedPlaybook
    db: DbEngine
    sessions: sessionmaker[Session]
    master_key: bytes
    webhook_secret: str = field(init=False)
    incidents: IncidentService = field(init=False)
    pager: Pager = field(init=False)
    channels: dict[str, Channel] = field(init=False)
    console_pages: ConsolePages = field(init=False)
    engine: Engine = field(init=False)
    integrations: Integrations = field(init=False)
    ingestor: Ingestor = field(init=False)
    rate_limits: TokenBuckets = field(init=False)
    intake_writer: IntakeWriter = field(init=False)
    schedules: Schedules = field(init=False)
    comms: Comms = field(init=False)
    command: IncidentCommand = field(init=False)
    war_rooms: WarRooms = field(init=False)
    watcher: Watcher = field(init=False)
    runbooks: Runbooks = field(init=False)
    drills: Drills = field(init=False)
    drill_reminders: DrillReminders = field(init=False)
    automation: Automation = field(init=False)
    handoffs: HandoffNotifier = field(init=False)
    status_page: StatusPageService = field(init=False)
    postmortems: postmortems.Postmortems = field(init=False)
    action_items: action_items.ActionItems = field(init=False)
    reports: Reports = field(init=False)
    ticket_sync: tickets.TicketSync = field(init=False)
    monthly_mailer: MonthlyMailer = field(init=False)

    def __post_init__(self) -> None:
        self.webhook_secret = derive(self.master_key, "webhook-signing", 64)
        self.incidents = IncidentService(self.sessions, self.clock, self.playbook)
        self.channels = build_channels(self.settings.channels)
        self.channels["webhook"] = WebhookChannel(self.webhook_secret)
        self.channels["console"] = ConsoleChannel()  # pulled by the browser, never claimed
        self.console_pages = ConsolePages(self.sessions, self.clock)
        if self.settings.smtp is not None:
            self.channels["email"] = EmailChannel(self.settings.smtp)
        self.pager = Pager(lambda: self.playbook.playbook, lambda: set(self.channels))
        self.incidents.hooks.append(self.pager.on_change)
        self.comms = Comms(self.sessions, self.clock, self.playbook.playbook, self.incidents)
        self.incidents.hooks.append(self.comms.on_change)
        self.command = IncidentCommand(
            self.sessions, self.clock, self.playbook.playbook, self.incidents
        )
        self.war_rooms = WarRooms(
            self.sessions,
            self.clock,
            self.playbook.playbook,
            self.chat_api,
            self.settings.bridge_base_url,
        )
        self.incidents.hooks.append(self.war_rooms.on_change)
        self.watcher = Watcher(
            self.playbook.playbook, self.incidents, self.command, self.war_rooms, self.pager
        )
        self.incidents.hooks.append(self.watcher.on_change)
        self.status_page = StatusPageService(
            self.sessions,
            self.clock,
            lambda: self.playbook.playbook,
            self.master_key,
            self.settings.base_url,
        )
        self.comms.customer_fanout = self.status_page.customer_fanout
        self.channels["status_webhook"] = SubscriberWebhook(
            self.status_page.subscribers.webhook_secret
        )
        self.postmortems = postmortems.Postmortems(
            self.sessions, self.clock, self.playbook.playbook, self.incidents, self._sender
        )
        self.incidents.hooks.append(self.postmortems.on_change)
        self.action_items = action_items.ActionItems(
            self.sessions,
            self.clock,
            self.playbook.playbook,
            self.incidents,
            lambda: self.settings.channels.jira is not None,
        )
        self.reports = Reports(self.sessions, self.clock, lambda: self.playbook.playbook)
        self.monthly_mailer = MonthlyMailer(
            self.sessions, self.clock, self.playbook.playbook, self.reports
        )
        self.ticket_sync = tickets.TicketSync(
            self.sessions, self.clock, self.playbook.playbook, self._jira_tickets
        )
        self.integrations = Integrations(self.playbook.playbook, self.master_key)
        self.runbooks = self._runbooks()
        self.drills = Drills(self.sessions, self.clock, self.playbook.playbook, self.incidents)
        self.drill_reminders = DrillReminders(
            self.sessions, self.clock, self.playbook.playbook, lambda: set(self.channels)
        )
        self.automation = Automation(
            lambda: self.playbook.playbook,
            self.incidents,
            self.pager,
            self.comms,
            self.command,
            self.war_rooms,
            self.runbooks,
        )
        self.incidents.hooks.append(self.automation.on_change)
        self.ingestor = Ingestor(self.incidents, self.pager, lambda: set(self.channels))
        self.rate_limits = TokenBuckets()
        self.intake_writer = IntakeWriter(self.sessions, self.clock)
        self.schedules = Schedules(
            self.sessions, self.clock, self.playbook.playbook, self.master_key
        )
        self.handoffs = HandoffNotifier(self.schedules, lambda: set(self.channels))
        self.engine = Engine(
            self.sessions,
            self.clock,
            self.channels,
            handlers={
                "escalate": self.pager.fire,
                HandoffNotifier.KIND: self.handoffs.fire,
                CADENCE: self.comms.fire,
                WATCH_KIND: self.watcher.fire,
                "checkpoint": self.war_rooms.checkpoint,
                MAINTENANCE_TIMER: self.status_page.maintenances.fire,
                postmortems.KIND: self.postmortems.fire,
                action_items.KIND: self.action_items.fire,
                RULE_KIND: self.automation.fire,
                DRILL_REMINDER_KIND: self.drill_reminders.fire,
            },
            throttles={
                method: (limit.count, limit.per.approx())
                for method, limit in self.playbook.playbook.on_call.throttles.items()
            },
            steps=[
                self.war_rooms.open_pending,
                self.ticket_sync.step,
                self.monthly_mailer.step,
                lambda: heartbeats.check_due(
                    self.sessions, self.clock, self.ingestor, lambda: self.integrations.by_id
                ),
            ],
        )
        install_wakeup(self.sessions, self.engine.wake)
        if self.db.dialect.name == "postgresql":
            self.engine.notify_url = self.settings.database_url

    def _jira_tickets(self) -> tickets.JiraTickets | None:
        jira = self.settings.channels.jira
        if jira is None:
            return None
        return tickets.JiraTickets(
            jira.base_url,
            jira.email,
            jira.api_token.get_secret_value(),
            self.settings.channels.timeout,
        )

    def _sender(self) -> str:
        return self.settings.smtp.sender if self.settings.smtp else "firebell@localhost"

    def chat_api(self) -> SlackApi | None:
        """The chat system's Web API, if one is configured (war rooms need it)."""
        slack = self.settings.channels.slack_api
        if slack is None:
            return None
        return SlackApi(
            slack.bot_token.get_secret_value(),
            base_url=slack.base_url,
            timeout=self.settings.channels.timeout,
        )

    def _runbooks(self) -> Runbooks:
        def notify(number: int, family: str, audience: str, actor: Principal) -> object:
            return self.comms.notify(number, family, audience, {}, actor)

        ports = ActionPorts(
            open_war_room=self.war_rooms.request,
            page=self.pager.page_people,
            notify=notify,
            add_task=self.command.add_task,
            resolve_targets=self.pager.resolve,
        )
        return Runbooks(
            self.sessions,
            self.clock,
            self.playbook.playbook,
            self.incidents,
            ports,
            self.settings.runbook_allow,
        )

    def close(self) -> None:
        self.db.dispose()


def build_runtime(
    settings: Settings, clock: Clock | None = None, *, migrate: bool = True
) -> Runtime:
    """Load the playbook (raising PlaybookError if invalid), open and migrate the database."""
    playbook = load_playbook(settings.playbook_path)
    private_dir(settings.home)  # 0700: the database, secret key and cli.json live here
    prepare_sqlite(settings.database_url)  # created 0600 before SQLite opens it
    db = make_engine(settings.database_url)
    if migrate:
        upgrade(db)
    clock = clock or SystemClock()
    sessions = make_sessionmaker(db)
    with transaction(sessions) as session:
        serialize(session, STARTUP_LOCK)  # processes starting together insert it once
        if session.get(PlaybookVersion, playbook.version) is None:
            session.add(
                PlaybookVersion(
                    version=playbook.version,
                    source=playbook.source,
                    path=playbook.path,
                    first_loaded_at=clock.now(),
                )
            )
    master = master_key(settings.home)
    return Runtime(settings, clock, playbook, db, sessions, master)
