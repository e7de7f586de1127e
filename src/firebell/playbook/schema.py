"""The playbook as code: pydantic models for every section of a team's process.

The default playbook (``default.yaml``) encodes the seed incident-response document.
Later capabilities (paging, intake, comms, war room) add behaviour on top of these
sections; here they are loadable, validated and visible. Unknown keys are refused so a
typo is an error with a line number rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from firebell import patterns
from firebell.playbook.alerting import Grouping, WhenAllResolved
from firebell.playbook.durations import Span
from firebell.playbook.learning import Learning
from firebell.statuspage.schema import StatusPage, reference_problems

SEVERITY_IDS = ("P0", "P1", "P2", "P3")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Europe/London)") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- organisation and directory -------------------------------------------------


class Organization(Strict):
    name: str
    support_email: str | None = None
    security_email: str | None = None
    status_page_url: str | None = None
    timezone: TimeZoneName = "UTC"


class ContactMethodRule(Strict):
    """Reach a person by `method`, `delay` after they are paged, for pages of `urgency`.

    `console` pages the person's open firebell web console(s) (a browser notification with
    sound and an Acknowledge button); it needs no address and no channel set up, but it
    only reaches someone whose console is open: pair it with another method."""

    method: Literal["email", "chat", "sms", "voice", "push", "webhook", "console"]
    delay: Span = Span()
    urgency: Literal["high", "low", "any"] = "any"


class Person(Strict):
    id: Identifier
    chat_user_id: str | None = Field(
        default=None, description="The person's user id in chat (Slack U…), for invites."
    )
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    timezone: TimeZoneName = "UTC"
    webhook_url: str | None = None
    push_topic: str | None = None
    notification_rules: list[ContactMethodRule] = Field(
        default=[], description="Empty: on_call.default_notification_rules apply."
    )
    example: bool = Field(
        default=False, description="A placeholder from the seed; replace with a real contact."
    )


class Team(Strict):
    id: Identifier
    name: str
    members: list[Identifier] = []
    lead: Identifier | None = None
    email: str | None = None
    chat_channel: str | None = None


class Service(Strict):
    id: Identifier
    name: str
    owner_team: Identifier
    escalation_policy: Identifier | None = None
    status_component: str | None = None
    description: str | None = None


class Vendor(Strict):
    name: str
    support_url: str | None = None
    phone: str | None = None
    sla: str | None = None


# --- severities -------------------------------------------------------------------


class StatusPagePolicy(Strict):
    required: Literal["always", "if_user_facing", "never"]
    first_update_within: Span | None = None
    cadence: Span | None = None
    impact: Literal["none", "minor", "major", "critical"] = "none"


class PostmortemPolicy(Strict):
    required: Literal["always", "optional", "never"]
    due: Span | None = None


class Severity(Strict):
    name: str
    label: str
    impact: str
    examples: list[str] = []
    response_time: Span
    resolution_target: Span
    communication: str
    notify_audiences: list[Identifier] = []
    paging: Literal["page", "notify", "ticket"]
    page_levels: list[int] = Field(default=[], description="Escalation levels paged at once.")
    update_cadence: Span | None = None
    status_page: StatusPagePolicy
    war_room: Literal["always", "conditional", "never"]
    postmortem: PostmortemPolicy
    initial_actions: list[str] = []


# --- on call ------------------------------------------------------------------------


class ShiftLength(Strict):
    """Either a calendar unit (kept on local wall-clock time) or an elapsed duration."""

    unit: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    count: int = Field(default=1, ge=1)
    duration: Span | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ShiftLength:
        if (self.unit is None) == (self.duration is None):
            raise ValueError("give either 'unit' (hourly/daily/weekly/monthly) or 'duration'")
        return self


class Restriction(Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = []
    start: time | None = None
    end: time | None = None


class Rotation(Strict):
    id: Identifier
    name: str
    description: str | None = None
    members: list[Identifier] = Field(min_length=1)
    shift: ShiftLength
    handoff_time: time = time(9, 0)
    handoff_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    timezone: TimeZoneName = "UTC"
    start: datetime
    offset: Span | None = None
    restrictions: list[Restriction] = []
    mode: Literal["clock", "turns"] = Field(
        default="clock",
        description=(
            "clock: shifts follow the calendar and restricted hours are cut out (a daily "
            "rotation of 7 restricted to weekdays gives two members no hours); turns: the "
            "roster advances only over shifts with hours in the restrictions, so everyone "
            "takes turns."
        ),
    )

    @model_validator(mode="after")
    def _anchor(self) -> Rotation:
        # A start written without an offset is local time in the rotation's zone.
        if self.start.tzinfo is None:
            object.__setattr__(self, "start", self.start.replace(tzinfo=ZoneInfo(self.timezone)))
        local = self.start.astimezone(ZoneInfo(self.timezone))
        if self.handoff_weekday is not None and WEEKDAYS[local.weekday()] != self.handoff_weekday:
            raise ValueError(
                f"start {local:%Y-%m-%d %H:%M} is a {WEEKDAYS[local.weekday()]}, but "
                f"handoff_weekday is {self.handoff_weekday}: start on a hand-off day"
            )
        return self


class ScheduleLayer(Strict):
    rotation: Identifier
    priority: int = 0


class Schedule(Strict):
    id: Identifier
    name: str
    layers: list[ScheduleLayer] = Field(min_length=1)


class EscalationTarget(Strict):
    type: Literal["schedule", "person", "team"]
    id: Identifier


class EscalationLevel(Strict):
    name: str
    delay: Span = Field(description="Time after the previous level before this one is paged.")
    targets: list[EscalationTarget] = Field(min_length=1)
    strategy: Literal["notify_all", "round_robin"] = "notify_all"


class EscalationPolicy(Strict):
    id: Identifier
    name: str
    description: str | None = None
    repeat: int = Field(default=0, ge=0, le=9, description="Extra passes after the last level.")
    repeat_after: Span = Field(
        default=Span.parse("15m"), description="Pause after the last level before a new pass."
    )
    levels: list[EscalationLevel] = Field(min_length=1)
    severities: list[Literal["P0", "P1", "P2", "P3"]] = []


class SubjectMatterExpert(Strict):
    area: str
    targets: list[EscalationTarget]


class EscalationCriterion(Strict):
    """One of the seed's escalation criteria as a rule firebell evaluates.

    trigger: `duration` (open for `after`), `fact` (the incident fact `fact` is true,
    optionally once open for `after`), `related_incidents` (`count` open incidents of
    `applies_to` severities on the same service or root cause within `window`), or
    `manual` (shown as guidance; people apply it).
    """

    id: Identifier
    description: str
    to: Literal["P0", "P1", "management"]
    action: Literal["propose", "perform", "notify"] = "propose"
    after: Span | None = None
    applies_to: list[Literal["P0", "P1", "P2", "P3"]] = []
    trigger: Literal["duration", "fact", "related_incidents", "manual"] = "manual"
    fact: str | None = None
    window: Span | None = None
    count: int = Field(default=2, ge=2)

    @model_validator(mode="after")
    def _trigger_complete(self) -> EscalationCriterion:
        if self.trigger == "duration" and self.after is None:
            raise ValueError("a duration trigger needs 'after'")
        if self.trigger == "fact" and not self.fact:
            raise ValueError("a fact trigger needs 'fact'")
        if self.trigger == "related_incidents" and self.window is None:
            raise ValueError("a related_incidents trigger needs 'window'")
        return self


class Escalation(Strict):
    matrix_applies_to: list[Literal["P0", "P1", "P2", "P3"]]
    default_policy: Identifier
    security_policy: Identifier | None = None
    subject_matter_experts: list[SubjectMatterExpert] = []
    vendors: list[Vendor] = []
    external_communication: list[str] = []
    criteria: list[EscalationCriterion] = []
    management_after: dict[Literal["P0", "P1", "P2", "P3"], Span] = {}


class Throttle(Strict):
    """At most `count` messages by one method to one address per `per`; the rest wait."""

    count: int = Field(ge=1)
    per: Span


class OnCall(Strict):
    rotations: list[Rotation] = []
    schedules: list[Schedule] = []
    default_notification_rules: list[ContactMethodRule] = []
    responsibilities: dict[Literal["before_shift", "during_shift", "after_shift"], list[str]] = {}
    tools_checklist: dict[Literal["required", "optional"], list[str]] = {}
    handoff_procedure: list[str] = []
    handoff_channel: str | None = None
    admins: list[Identifier] = Field(
        default=[], description="People told when a level has nobody on call."
    )
    throttles: dict[Literal["email", "chat", "sms", "voice", "push", "webhook"], Throttle] = {}


class BusinessHours(Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    start: time
    end: time
    timezone: TimeZoneName = "UTC"


class Compensation(Strict):
    weekday_hours_per_day: float = Field(ge=0)
    weekend_hours_per_day: float = Field(ge=0)
    holiday_hours_per_day: float = Field(ge=0)
    incident_multiplier: float = Field(ge=0)
    business_hours: BusinessHours
    holiday_country: str = "US"
    holiday_subdivision: str | None = None


# --- communications -------------------------------------------------------------------


class Audience(Strict):
    id: Identifier
    name: str
    description: str | None = None
    channels: list[str] = []
    external: bool = False
    security_only: bool = False


class TemplateVariant(Strict):
    channel: Literal["chat", "email", "status_page", "customer_email"]
    audience: Identifier | None = None
    subject: str | None = None
    title: str | None = None
    body: str | None = None
    file: str | None = Field(default=None, description="Template file next to the playbook.")
    confidential: bool = False
    required: list[str] | None = Field(
        default=None,
        description="Values without which `notify` refuses to send (e.g. incident.impact; "
        "'*' for all). Unset: all for status_page and customer_email, none otherwise; a "
        "missing value that is not required is sent as a visible placeholder.",
    )

    @model_validator(mode="after")
    def _has_body(self) -> TemplateVariant:
        if (self.body is None) == (self.file is None):
            raise ValueError("give exactly one of 'body' (inline) or 'file'")
        return self


class TemplateFamily(Strict):
    name: str
    applies_to: list[Literal["P0", "P1", "P2", "P3"]] = []
    variants: dict[Identifier, TemplateVariant] = Field(min_length=1)


class Communications(Strict):
    audiences: list[Audience] = []
    templates: dict[Identifier, TemplateFamily] = {}
    customer_message_forbidden_patterns: list[str] = []
    customer_message_allowed_patterns: list[str] = Field(
        default=[],
        description="What a forbidden pattern finds is allowed when one of these matches "
        "all of it (RE2 has no look-around to express exceptions inside one pattern).",
    )

    @field_validator("customer_message_forbidden_patterns", "customer_message_allowed_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                patterns.check(pattern, empty_ok=False)
            except patterns.PatternError as exc:
                raise ValueError(f"the pattern {pattern!r} {exc}") from None
        return value


# --- war room ---------------------------------------------------------------------------


class WarRoomRule(Strict):
    id: Identifier
    description: str
    severities: list[Literal["P0", "P1", "P2", "P3"]] = []
    when: Literal["always", "multiple_teams", "duration", "security", "executive_involved"]
    after: Span | None = None


class IncidentRole(Strict):
    id: Identifier
    name: str
    responsibilities: list[str] = []
    required_for: list[Literal["P0", "P1", "P2", "P3"]] = []


class Checkpoints(Strict):
    interval: Span
    message: str
    management_reminder: dict[Literal["P0", "P1", "P2", "P3"], Span] = {}
    management_message: str


class WarRoom(Strict):
    purpose: str | None = None
    activation: list[WarRoomRule] = []
    roles: list[IncidentRole] = []
    channel_name: str
    topic: str
    private_topic: str = Field(
        default=(
            "[{{ incident.severity }}] Private incident {{ incident.id }}"
            " | IC: {{ incident.commander }}"
        ),
        description=(
            "The topic of a private (security) incident's channel, which is created "
            "private: by default without the title. Set it to the `topic` to show the title."
        ),
    )
    bridge_url: str | None = None
    invite: list[str] = []
    announcement: str | None = None
    checkpoints: Checkpoints
    tracking_doc_sections: list[str] = []
    meeting_structure: dict[Literal["opening", "ongoing", "closing"], list[str]] = {}
    best_practices: dict[Literal["do", "dont"], list[str]] = {}
    protocols: dict[str, str] = {}


# --- post-mortems, workflows, decision tree, SLA, drills ---------------------------------


class PostmortemMeeting(Strict):
    schedule: str
    duration: Span
    attendees: list[str] = []
    agenda: list[str] = []


class Postmortems(Strict):
    purpose: str | None = None
    template: str
    action_item_types: list[Literal["prevent", "detect", "respond"]] = [
        "prevent",
        "detect",
        "respond",
    ]
    meeting: PostmortemMeeting
    reviewers: list[str] = []


class StepNotify(Strict):
    template: Identifier
    audience: str = "all"


class StepTask(Strict):
    text: str
    assignee: str | None = Field(default=None, description="Default: the responder.")


class StepAction(Strict):
    """What a runbook step can do once a responder confirms it: exactly one field."""

    raise_severity: Literal["P0", "P1", "P2", "P3"] | None = None
    open_war_room: bool = False
    page: EscalationTarget | None = None
    notify: StepNotify | None = None
    task: StepTask | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StepAction:
        chosen = [k for k in self.model_fields_set if getattr(self, k) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(
                "an action is one of raise_severity, open_war_room, page, notify, task"
            )
        return self


class RoleGrant(Strict):
    role: Identifier
    person: str


class RuleAction(StepAction):
    """A rule's action: a step's actions, and also assign a role, start a runbook, or call a
    signed webhook."""

    assign_role: RoleGrant | None = None
    start_runbook: Identifier | None = None
    webhook: str | None = Field(default=None, pattern=r"^https?://")


RuleTrigger = Literal[
    "declared",
    "acknowledged",
    "severity_changed",
    "status_changed",
    "role_assigned",
    "alert_attached",
    "elapsed",
]


class RuleConditions(Strict):
    severity: list[Literal["P0", "P1", "P2", "P3"]] = []
    service: list[Identifier] = []
    private: bool | None = None
    labels: dict[str, str] = Field(
        default={}, description="Labels the attached alert must carry (alert_attached)."
    )
    older_than: Span | None = Field(default=None, description="Time since declaration.")


class Rule(Strict):
    """When something happens to an incident and the conditions hold, do the actions
    (after ``delay``), once per incident unless ``once`` is false. Drills are left alone
    unless ``on_drills`` opts in."""

    id: Identifier
    description: str = ""
    when: list[RuleTrigger] = Field(min_length=1)
    after: Span | None = Field(default=None, description="For 'elapsed': time since declared.")
    conditions: RuleConditions = RuleConditions()
    actions: list[RuleAction] = Field(min_length=1)
    delay: Span | None = None
    once: bool = True
    on_drills: bool = False

    @model_validator(mode="after")
    def _elapsed_needs_after(self) -> Rule:
        if "elapsed" in self.when and self.after is None:
            raise ValueError("a rule triggered by 'elapsed' needs 'after'")
        return self


class StepRun(Strict):
    """A command firebell may run for this step, after a responder confirms it: no shell,
    its program on the server's allow-list (FIREBELL_RUNBOOK_ALLOW), within ``timeout``."""

    argv: list[str] = Field(min_length=1)
    timeout: Span = Span.parse("30s")


class WorkflowStep(Strict):
    id: Identifier
    text: str
    next: Identifier | None = None
    branches: dict[str, Identifier] = Field(
        default={}, description="Answer -> next step id, for decision steps."
    )
    terminal: bool = False
    commands: list[str] = Field(
        default=[], description="Shown with the incident's values filled in (Jinja2)."
    )
    actions: list[StepAction] = []
    run: StepRun | None = None


class Workflow(Strict):
    id: Identifier
    name: str
    trigger: str
    severity: list[Literal["P0", "P1", "P2", "P3"]] = []
    start: Identifier
    steps: list[WorkflowStep] = Field(min_length=1)
    values: dict[str, str] = Field(
        default={}, description="Values for the steps' commands; incident facts override them."
    )

    @model_validator(mode="after")
    def _steps_connected(self) -> Workflow:
        ids = {step.id for step in self.steps}
        if len(ids) != len(self.steps):
            raise ValueError("step ids must be unique")
        if self.start not in ids:
            raise ValueError(f"start step '{self.start}' is not one of the steps")
        for step in self.steps:
            for target in [step.next, *step.branches.values()]:
                if target is not None and target not in ids:
                    raise ValueError(f"step '{step.id}' leads to unknown step '{target}'")
        return self


class DecisionNode(Strict):
    """One question of the severity decision tree; `answers` lead to a node or a severity."""

    id: Identifier
    question: str
    signal: str | None = None
    answers: list[DecisionAnswer] = Field(min_length=1)


class DecisionAnswer(Strict):
    answer: str
    condition: str | None = Field(
        default=None, description="Machine-readable test on the signal, e.g. 'tps < 500000'."
    )
    severity: Literal["P0", "P1", "P2", "P3"] | None = None
    severities: list[Literal["P0", "P1", "P2", "P3"]] = []
    next: Identifier | None = None


class DecisionTree(Strict):
    start: Identifier
    nodes: list[DecisionNode] = Field(min_length=1)

    @model_validator(mode="after")
    def _connected(self) -> DecisionTree:
        ids = {node.id for node in self.nodes}
        if self.start not in ids:
            raise ValueError(f"start node '{self.start}' is not one of the nodes")
        for node in self.nodes:
            for answer in node.answers:
                if answer.next is not None and answer.next not in ids:
                    raise ValueError(f"node '{node.id}' leads to unknown node '{answer.next}'")
                if answer.next is None and answer.severity is None and not answer.severities:
                    raise ValueError(f"node '{node.id}': an answer needs 'next' or a severity")
        return self


class SlaRow(Strict):
    severity: Literal["P0", "P1", "P2", "P3"]
    response_time: Span
    resolution_time: Span
    mtta_target: Span
    mttr_target: Span


class DrillScenario(Strict):
    """A practice incident: declared as a drill, paging and telling only its participants."""

    id: Identifier
    name: str
    severity: Literal["P0", "P1", "P2", "P3"] = "P1"
    service: Identifier | None = None
    private: bool = False
    workflow: Identifier | None = Field(default=None, description="The runbook to practise.")
    description: str | None = None


def _scenario(value: object) -> object:
    """A plain string is a scenario named by it (the seed lists names only)."""
    if isinstance(value, str):
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "scenario"
        return {"id": slug[:64], "name": value}
    return value


class PlannedDrill(Strict):
    """One line of the drill programme: which scenario runs when, who organises it and who
    takes part. ``cadence`` picks the rule: ``monthly``, ``quarterly`` (in ``quarters``,
    the ``month`` of the quarter, 1-3), ``annually`` (in ``month``, 1-12) on a ``day`` of
    the month or the ``week``-th ``weekday`` (``week: -1`` for the last), at local time
    ``at``; or ``dates``: the listed days."""

    id: Identifier
    scenario: Identifier
    cadence: Literal["monthly", "quarterly", "annually", "dates"]
    quarters: list[Annotated[int, Field(ge=1, le=4)]] = Field(
        default=[], description="quarterly: which quarters (1-4); empty: all four."
    )
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    day: Annotated[int, Field(ge=1, le=28)] | None = None
    week: Literal[1, 2, 3, 4, -1] | None = None
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    dates: list[date] = []
    at: time = time(10, 0)
    duration: Span = Span.parse("2h")
    organisers: list[Identifier] = Field(min_length=1)
    participants: list[Identifier] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_rule(self) -> PlannedDrill:
        if self.cadence == "dates":
            if not self.dates:
                raise ValueError("cadence 'dates' needs 'dates': the days it runs")
            extra = [f for f in ("month", "day", "week", "weekday") if getattr(self, f)]
            if extra or self.quarters:
                raise ValueError(
                    f"cadence 'dates' takes no {', '.join(extra or ['quarters'])}: "
                    "the dates say when"
                )
            return self
        if self.dates:
            raise ValueError(f"'dates' is only for cadence 'dates', not '{self.cadence}'")
        if self.day is None and (self.week is None or self.weekday is None):
            raise ValueError("say which day: 'day' (1-28), or 'week' (1-4, -1) and 'weekday'")
        if self.day is not None and (self.week is not None or self.weekday is not None):
            raise ValueError("give either 'day' or 'week' and 'weekday', not both")
        if self.quarters and self.cadence != "quarterly":
            raise ValueError("'quarters' is only for cadence 'quarterly'")
        if self.cadence == "monthly" and self.month is not None:
            raise ValueError("a monthly drill runs every month: leave 'month' out")
        if self.cadence == "quarterly" and self.month is not None and self.month > 3:
            raise ValueError("for a quarterly drill 'month' is the month of the quarter: 1-3")
        if self.cadence == "annually" and self.month is None:
            raise ValueError("an annual drill needs 'month' (1-12)")
        return self


def _schedule(value: object) -> object:
    """The seed's programme as plain lines (``['Quarterly: Cross-team incident drill']``)
    is kept as notes; the planned drills are data beside them."""
    if isinstance(value, list):
        return {"notes": value}
    return value


class DrillSchedule(Strict):
    """The drill programme: planned drills in a time zone, and reminders to their
    organisers ``reminders`` before each one (e.g. ``[7d, 1d]``)."""

    timezone: TimeZoneName | None = Field(
        default=None, description="Local time of the planned drills; default: organization."
    )
    reminders: list[Span] = []
    notes: list[str] = []
    drills: list[PlannedDrill] = []


class Drills(Strict):
    training: list[str] = []
    schedule: Annotated[DrillSchedule, BeforeValidator(_schedule)] = DrillSchedule()
    scenarios: list[Annotated[DrillScenario, BeforeValidator(_scenario)]] = Field(min_length=1)


def drill_schedule_problems(pb: Playbook) -> list[tuple[tuple[int | str, ...], str]]:
    """Dangling references of the drill programme, each with its location in the
    document (the loader turns it into a line): unknown scenarios and people, a
    reminder that is not before the drill, a planned drill id used twice."""
    people = {p.id for p in pb.people}
    scenarios = {s.id for s in pb.drills.scenarios}
    base: tuple[int | str, ...] = ("drills", "schedule")
    problems: list[tuple[tuple[int | str, ...], str]] = []
    seen: set[str] = set()
    for i, planned in enumerate(pb.drills.schedule.drills):
        where = (*base, "drills", i)
        if planned.id in seen:
            problems.append(((*where, "id"), f"planned drill id '{planned.id}' is used twice"))
        seen.add(planned.id)
        if planned.scenario not in scenarios:
            known = ", ".join(sorted(scenarios))
            problems.append(
                ((*where, "scenario"), f"unknown scenario '{planned.scenario}'; known: {known}")
            )
        for part in ("organisers", "participants"):
            for j, person in enumerate(getattr(planned, part)):
                if person not in people:
                    problems.append(((*where, part, j), f"unknown person '{person}'"))
    for i, span in enumerate(pb.drills.schedule.reminders):
        if span.approx().total_seconds() <= 0:
            problems.append(((*base, "reminders", i), "a reminder must be before the drill"))
    return problems


SeverityId = Literal["P0", "P1", "P2", "P3"]


class RouteMatcher(Strict):
    """Alertmanager-style: `labels.<name>` or an event field, compared with = != =~ !~
    (regexes on RE2, see `firebell.patterns`)."""

    field: str
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str

    @model_validator(mode="after")
    def _regex_compiles(self) -> RouteMatcher:
        if self.op in ("=~", "!~"):
            try:
                patterns.check(self.value)
            except patterns.PatternError as exc:
                raise ValueError(f"the regex {self.value!r} {exc}") from None
        return self


class RouteRule(Strict):
    name: str
    match: list[RouteMatcher] = []
    service: Identifier | None = None
    severity: SeverityId | None = None


class IntegrationOptions(Strict):
    """How one integration's events become alerts. Every field is optional."""

    # Severity: a label holding P0..P3 wins; else routing; else the decision tree with
    # the sender's word mapped through severity_map; else default_severity.
    severity_label: str | None = None
    override_label: str | None = None
    severity_map: dict[str, SeverityId] = {}
    default_severity: SeverityId = "P2"
    routing: list[RouteRule] = []
    auto_resolve: bool = Field(
        default=False,
        description="Always resolve the incident when its source resolves every alert, "
        "even when someone acknowledged it (overrides when_all_resolved.acknowledged).",
    )
    # Alert labels naming the service, tried in order; unknown names fall back to `service`.
    service_labels: list[str] = Field(default=["service", "job"], max_length=10)
    grouping: Grouping = Grouping()
    when_all_resolved: WhenAllResolved = WhenAllResolved()
    # A re-fire within this time of the incident's resolution reopens it.
    flapping_window: Span = Field(default=Span.parse("30m"))
    rate_limit_per_minute: int = Field(default=6000, ge=1)
    rate_limit_burst: int = Field(default=1000, ge=1)
    # generic webhooks: dotted paths or JSONPath into the posted document
    summary_path: str | None = None
    dedup_key_path: str | None = None
    severity_path: str | None = None
    resolve_path: str | None = None
    resolve_values: list[str] = []
    acknowledge_path: str | None = None
    acknowledge_values: list[str] = []
    labels_path: str | None = None
    # heartbeats
    interval: Span | None = None
    grace: Span | None = None
    severity: SeverityId | None = None
    summary: str | None = None


class Integration(Strict):
    id: Identifier
    name: str
    format: Literal["alertmanager", "pagerduty", "opsgenie", "grafana", "generic", "heartbeat"]
    service: Identifier
    options: IntegrationOptions = IntegrationOptions()

    @model_validator(mode="after")
    def _format_needs(self) -> Integration:
        if self.format == "generic" and not self.options.summary_path:
            raise ValueError("a generic integration needs options.summary_path")
        if self.format == "heartbeat" and self.options.interval is None:
            raise ValueError("a heartbeat integration needs options.interval")
        return self


class Playbook(Strict):
    """A team's whole incident process."""

    version: Literal[1] = 1
    organization: Organization
    principles: list[str] = []
    scope: list[str] = []
    severities: dict[Literal["P0", "P1", "P2", "P3"], Severity]
    people: list[Person] = []
    teams: list[Team] = []
    services: list[Service] = Field(min_length=1)
    escalation_policies: list[EscalationPolicy] = Field(min_length=1)
    escalation: Escalation
    on_call: OnCall
    compensation: Compensation
    communications: Communications
    war_room: WarRoom
    postmortems: Postmortems
    workflows: list[Workflow] = []
    decision_tree: DecisionTree
    sla: list[SlaRow]
    drills: Drills
    integrations: list[Integration] = []
    runbooks: dict[str, list[str]] = {}
    status_page: StatusPage = StatusPage()
    learning: Learning = Learning()
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> Playbook:
        _check_references(self)
        return self

    def severity(self, severity_id: str) -> Severity:
        return self.severities[severity_id]  # type: ignore[index]

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)


def _unique(kind: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{kind} id '{item}' is defined twice")
        seen.add(item)
    return seen


def _check_references(pb: Playbook) -> None:
    """Every id a section mentions must be defined somewhere: typos fail at load time."""
    missing = [s for s in SEVERITY_IDS if s not in pb.severities]
    if missing:
        raise ValueError(f"severities must define P0, P1, P2 and P3; missing {missing}")
    people = _unique("person", [p.id for p in pb.people])
    teams = _unique("team", [t.id for t in pb.teams])
    rotations = _unique("rotation", [r.id for r in pb.on_call.rotations])
    schedules = _unique("schedule", [s.id for s in pb.on_call.schedules])
    policies = _unique("escalation policy", [p.id for p in pb.escalation_policies])
    _unique("service", [s.id for s in pb.services])
    _unique("integration", [i.id for i in pb.integrations])
    audiences = _unique("audience", [a.id for a in pb.communications.audiences])
    services = {s.id for s in pb.services}
    problems: list[str] = []

    def need(where: str, value: str | None, known: set[str], kind: str) -> None:
        if value is not None and value not in known:
            problems.append(f"{where}: unknown {kind} '{value}'")

    for team in pb.teams:
        for member in team.members:
            need(f"team {team.id}", member, people, "person")
        need(f"team {team.id} lead", team.lead, people, "person")
    for service in pb.services:
        need(f"service {service.id}", service.owner_team, teams, "team")
        need(f"service {service.id}", service.escalation_policy, policies, "escalation policy")
    for rotation in pb.on_call.rotations:
        for member in rotation.members:
            need(f"rotation {rotation.id}", member, people, "person")
    for admin in pb.on_call.admins:
        need("on_call.admins", admin, people, "person")
    for schedule in pb.on_call.schedules:
        for layer in schedule.layers:
            need(f"schedule {schedule.id}", layer.rotation, rotations, "rotation")
    known = {"schedule": schedules, "person": people, "team": teams}
    for policy in pb.escalation_policies:
        for level in policy.levels:
            for target in level.targets:
                need(
                    f"policy {policy.id} level '{level.name}'",
                    target.id,
                    known[target.type],
                    target.type,
                )
    for sme in pb.escalation.subject_matter_experts:
        for target in sme.targets:
            need(f"subject matter expert '{sme.area}'", target.id, known[target.type], target.type)
    need("escalation.default_policy", pb.escalation.default_policy, policies, "escalation policy")
    need("escalation.security_policy", pb.escalation.security_policy, policies, "escalation policy")
    for sev_id, sev in pb.severities.items():
        for audience in sev.notify_audiences:
            need(f"severity {sev_id}", audience, audiences, "audience")
    for family_id, family in pb.communications.templates.items():
        for variant_id, variant in family.variants.items():
            need(f"template {family_id}.{variant_id}", variant.audience, audiences, "audience")
    review_audience = pb.learning.monthly_review.email_audience
    need("learning.monthly_review.email_audience", review_audience, audiences, "audience")
    for integration in pb.integrations:
        need(f"integration {integration.id}", integration.service, services, "service")
        for rule in integration.options.routing:
            need(
                f"integration {integration.id} rule '{rule.name}'",
                rule.service,
                services,
                "service",
            )
    problems.extend(reference_problems(pb.status_page, services, audiences))
    for workflow in pb.workflows:
        for step in workflow.steps:
            where = f"workflow {workflow.id} step {step.id}"
            for action in step.actions:
                if action.page is not None:
                    need(where, action.page.id, known[action.page.type], action.page.type)
                if action.notify is not None:
                    need(
                        where, action.notify.template, set(pb.communications.templates), "template"
                    )
    _unique("rule", [r.id for r in pb.rules])
    roles = {r.id for r in pb.war_room.roles}
    for auto in pb.rules:
        where = f"rule {auto.id}"
        for severity_or_service in auto.conditions.service:
            need(where, severity_or_service, services, "service")
        for action in auto.actions:
            if action.page is not None:
                need(where, action.page.id, known[action.page.type], action.page.type)
            if action.notify is not None:
                need(where, action.notify.template, set(pb.communications.templates), "template")
            if action.assign_role is not None:
                need(where, action.assign_role.role, roles, "role")
            need(where, action.start_runbook, {w.id for w in pb.workflows}, "workflow")
    _unique("drill scenario", [d.id for d in pb.drills.scenarios])
    workflows = {w.id for w in pb.workflows}
    for drill in pb.drills.scenarios:
        need(f"drill {drill.id}", drill.service, services, "service")
        need(f"drill {drill.id}", drill.workflow, workflows, "workflow")
    if problems:
        raise ValueError("; ".join(problems))


DecisionNode.model_rebuild()
