"""The default playbook encodes the seed incident-response document completely.

No mocks: the shipped ``default.yaml`` is loaded through the real loader and its
Jinja2 templates are parsed and rendered by a real sandboxed Jinja2 environment.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from firebell.comms.guard import leaks
from firebell.playbook.durations import Span
from firebell.playbook.loader import DEFAULT_PLAYBOOK_PATH, LoadedPlaybook, load_playbook
from firebell.playbook.schema import Playbook

DOCS_TEMPLATES = Path(__file__).resolve().parents[2] / "docs" / "templates.md"

# The template context, exactly as documented in docs/templates.md: each top-level
# variable, with the set of its attributes when it is an object (None otherwise).
TEMPLATE_CONTEXT: dict[str, frozenset[str] | None] = {
    "org": frozenset({"name", "support_email", "security_email"}),
    "incident": frozenset(
        {
            "id",
            "title",
            "severity",
            "status",
            "started_at",
            "started_stamp",
            "resolved_at",
            "duration",
            "commander",
            "impact",
            "summary",
            "channel",
            "is_security",
            "status_page_impact",
        }
    ),
    "actions": None,
    "updates": None,
    "root_cause": None,
    "eta": None,
    "next_update": None,
    "current_status": None,
    "current_action": None,
    "expected_progress": None,
    "workaround": None,
    "resolution_summary": None,
    "preventive_actions": None,
    "postmortem_url": None,
    "postmortem_due": None,
    "responders": None,
    "now": None,
    "war_room_url": None,
    "status_page_url": None,
    "roles": frozenset({"ic", "tech_lead", "comms_lead", "scribe"}),
    "first_priority": None,
    "maintenance": frozenset(
        {"date", "start", "end", "start_time", "end_time", "duration", "impact", "reason"}
    ),
    "security": frozenset(
        {
            "classification",
            "lead",
            "occurred_on",
            "discovered_on",
            "what_happened",
            "affected_data",
            "response",
            "remediation",
            "user_actions",
        }
    ),
}

# A complete sample context (every documented variable set), used to render.
SAMPLE_CONTEXT = {
    "org": {
        "name": "Aurigraph Operations Team",
        "support_email": "support@example.com",
        "security_email": "security@example.com",
    },
    "incident": {
        "id": "INC-42",
        "title": "API returning 503s",
        "severity": "P0",
        "status": "investigating",
        "started_at": "2025-11-17 09:30 UTC",
        "started_stamp": "20251117-0930",
        "resolved_at": "2025-11-17 10:10 UTC",
        "duration": "40 minutes",
        "commander": "@alice",
        "impact": "failed API requests",
        "summary": "API errors",
        "channel": "#incident-20251117-0930-p0",
        "is_security": False,
        "status_page_impact": "critical",
    },
    "actions": ["Rolling back the 09:15 deployment", "Scaling API pods"],
    "updates": ["Rollback started", "Error rate falling"],
    "root_cause": "a faulty configuration change",
    "eta": "10:15 UTC",
    "next_update": "09:45 UTC",
    "current_status": "Fix in progress",
    "current_action": "implementing a fix",
    "expected_progress": "full recovery within 15 minutes",
    "workaround": "Retry failed requests.",
    "resolution_summary": "Rolled back the configuration change.",
    "preventive_actions": ["Add config validation to CI", "Alert on 503 rate"],
    "postmortem_url": "https://status.example.com/incidents/INC-42",
    "postmortem_due": "48 hours",
    "responders": ["@alice", "@bob"],
    "now": "2025-11-17 09:50 UTC",
    "war_room_url": "https://zoom.example.com/j/aurigraph-war-room",
    "status_page_url": "https://status.example.com",
    "roles": {"ic": "@alice", "tech_lead": "@bob", "comms_lead": "@carol", "scribe": "@dave"},
    "first_priority": "Restore API availability",
    "maintenance": {
        "date": "2025-11-24",
        "start": "2025-11-24 02:00 UTC",
        "end": "2025-11-24 04:00 UTC",
        "start_time": "02:00",
        "end_time": "04:00",
        "duration": "2 hours",
        "impact": "The API may be unavailable for up to 5 minutes.",
        "reason": "Database upgrade.",
    },
    "security": {
        "classification": "Unauthorized Access",
        "lead": "@erin",
        "occurred_on": "2025-11-16",
        "discovered_on": "2025-11-17",
        "what_happened": "An access key was misused.",
        "affected_data": ["Account email addresses", "Transaction metadata"],
        "response": "The key was revoked.",
        "remediation": "We are auditing all access keys.",
        "user_actions": "Rotate your API credentials.",
    },
}

SEED_VARIANTS = [
    ("initial", "internal"),
    ("initial", "status_page"),
    ("initial", "customer_email"),
    ("update", "internal"),
    ("update", "status_page"),
    ("resolution", "internal"),
    ("resolution", "status_page"),
    ("resolution", "customer_email"),
    ("maintenance", "advance_notice"),
    ("maintenance", "reminder"),
    ("security", "internal"),
    ("security", "external"),
]


@pytest.fixture(scope="module")
def loaded() -> LoadedPlaybook:
    return load_playbook()


@pytest.fixture(scope="module")
def pb(loaded: LoadedPlaybook) -> Playbook:
    return loaded.playbook


def span(text: str) -> Span:
    return Span.parse(text)


def all_templates(pb: Playbook) -> Iterator[tuple[str, str]]:
    """Every Jinja2 template string of the playbook, with where it lives."""
    for family_id, family in pb.communications.templates.items():
        for variant_id, variant in family.variants.items():
            for field in ("subject", "title", "body"):
                text = getattr(variant, field)
                if text is not None:
                    yield f"communications.templates.{family_id}.{variant_id}.{field}", text
    war_room = pb.war_room
    yield "war_room.channel_name", war_room.channel_name
    yield "war_room.topic", war_room.topic
    if war_room.announcement is not None:
        yield "war_room.announcement", war_room.announcement
    yield "war_room.checkpoints.message", war_room.checkpoints.message
    yield "war_room.checkpoints.management_message", war_room.checkpoints.management_message


def sandbox() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


# --- loading ------------------------------------------------------------------------


def test_default_playbook_loads_and_validates(loaded: LoadedPlaybook) -> None:
    assert loaded.path == str(DEFAULT_PLAYBOOK_PATH)
    assert loaded.version.startswith("sha256:")
    assert loaded.playbook.version == 1


def test_organization_principles_and_scope(pb: Playbook) -> None:
    assert pb.organization.name == "Aurigraph Operations Team"
    assert pb.organization.support_email == "support@example.com"
    assert pb.organization.security_email == "security@example.com"
    assert len(pb.principles) == 5
    assert pb.principles[0].startswith("Safety First")
    assert pb.principles[-1].startswith("Blameless Culture")
    assert len(pb.scope) == 5


# --- severities ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sev", "name", "label", "response", "resolution"),
    [
        ("P0", "Critical", "Severity 1", "5m", "1h"),
        ("P1", "High", "Severity 2", "15m", "4h"),
        ("P2", "Medium", "Severity 3", "1h", "24h"),
        ("P3", "Low", "Severity 4", "1bd", "1w"),
    ],
)
def test_severity_times(
    pb: Playbook, sev: str, name: str, label: str, response: str, resolution: str
) -> None:
    severity = pb.severity(sev)
    assert (severity.name, severity.label) == (name, label)
    assert severity.response_time == span(response)
    assert severity.resolution_target == span(resolution)
    assert len(severity.examples) == 6
    assert severity.initial_actions


def test_p3_response_is_next_business_day(pb: Playbook) -> None:
    friday_evening = datetime(2025, 11, 21, 18, 0)
    assert pb.severity("P3").response_time.after(friday_evening) == datetime(2025, 11, 24, 18, 0)


@pytest.mark.parametrize(
    ("sev", "paging", "levels", "audiences", "war_room"),
    [
        ("P0", "page", [1, 2], ["all-stakeholders"], "always"),
        ("P1", "page", [1], ["affected-teams", "management"], "conditional"),
        ("P2", "notify", [], ["on-call-team"], "never"),
        ("P3", "ticket", [], ["ops-team", "ticket"], "never"),
    ],
)
def test_severity_paging_and_audiences(
    pb: Playbook, sev: str, paging: str, levels: list[int], audiences: list[str], war_room: str
) -> None:
    severity = pb.severity(sev)
    assert severity.paging == paging
    assert severity.page_levels == levels
    assert severity.notify_audiences == audiences
    assert severity.war_room == war_room


def test_severity_status_page_and_postmortem(pb: Playbook) -> None:
    p0, p1, p2, p3 = (pb.severity(s) for s in ("P0", "P1", "P2", "P3"))
    assert (p0.status_page.required, p0.status_page.first_update_within) == ("always", span("10m"))
    assert (p1.status_page.required, p1.status_page.first_update_within) == ("always", span("30m"))
    assert p0.status_page.cadence == p1.status_page.cadence == span("30m")
    assert p2.status_page.required == "if_user_facing"
    assert p3.status_page.required == "never"
    impacts = [s.status_page.impact for s in (p0, p1, p2, p3)]
    assert impacts == ["critical", "major", "minor", "none"]
    assert (p0.update_cadence, p1.update_cadence) == (span("15m"), span("30m"))
    assert (p0.postmortem.required, p0.postmortem.due) == ("always", span("48h"))
    assert (p1.postmortem.required, p1.postmortem.due) == ("always", span("1w"))
    assert p2.postmortem.required == "optional"
    assert p3.postmortem.required == "never"


# --- people, services, escalation ----------------------------------------------------


def test_every_contact_is_a_marked_placeholder(pb: Playbook) -> None:
    assert all(person.example for person in pb.people)
    assert all(person.name.startswith("Example ") for person in pb.people)
    emails = {person.email for person in pb.people}
    assert emails == {
        "ops@example.com",
        "devops@example.com",
        "dba@example.com",
        "security@example.com",
        "vpeng@example.com",
        "cto@example.com",
    }


def test_default_service_is_the_platform(pb: Playbook) -> None:
    default = pb.services[0]
    assert (default.id, default.name) == ("platform", "Aurigraph DLT platform")
    assert {"api", "consensus", "database", "cross-chain-bridge"} <= {s.id for s in pb.services}


def test_escalation_matrix_levels_in_order(pb: Playbook) -> None:
    assert pb.escalation.matrix_applies_to == ["P0", "P1"]
    policy = next(p for p in pb.escalation_policies if p.id == pb.escalation.default_policy)
    names = [level.name for level in policy.levels]
    assert names == [
        "Primary On-Call Engineer",
        "Secondary On-Call Engineer",
        "Team Lead",
        "VP Engineering",
        "CTO",
    ]
    targets = [(lv.targets[0].type, lv.targets[0].id) for lv in policy.levels]
    assert targets == [
        ("schedule", "aurigraph-primary"),
        ("schedule", "aurigraph-secondary"),
        ("schedule", "aurigraph-escalation"),
        ("person", "vp-engineering"),
        ("person", "cto"),
    ]
    # A level's delay counts from the previous level; the seed's matrix gives the
    # time since the incident started: primary 0, secondary 5, team lead 15, VP 30.
    delays = [level.delay.approx() for level in policy.levels]
    assert delays == [timedelta(minutes=m) for m in (0, 5, 10, 15, 30)]
    reached, elapsed = [], timedelta(0)
    for delay in delays:
        elapsed += delay
        reached.append(elapsed)
    assert reached[:4] == [timedelta(minutes=m) for m in (0, 5, 15, 30)]
    # The CTO (no time in the seed) is reached after an hour, with management_after[P0].
    assert reached[4] == pb.escalation.management_after["P0"].approx() == timedelta(hours=1)


def test_security_policy_branches_to_the_ciso(pb: Playbook) -> None:
    policy = next(p for p in pb.escalation_policies if p.id == pb.escalation.security_policy)
    people = {t.id for level in policy.levels for t in level.targets if t.type == "person"}
    assert "security-lead" in people
    ciso = next(p for p in pb.people if p.id == "security-lead")
    assert "CISO" in (ciso.role or "")
    assert ciso.email == "security@example.com"


def test_escalation_smes_vendors_and_external_communication(pb: Playbook) -> None:
    esc = pb.escalation
    assert [sme.area for sme in esc.subject_matter_experts] == [
        "Database Admin",
        "Security Team",
        "DevOps Lead",
    ]
    vendors = {v.name for v in esc.vendors}
    assert {"AWS Support", "Datadog", "PagerDuty", "PostgreSQL Support", "Third-party APIs"} == (
        vendors
    )
    assert len(esc.external_communication) == 3


def test_escalation_criteria(pb: Playbook) -> None:
    criteria = pb.escalation.criteria
    ids = [c.id for c in criteria]
    assert len(ids) == len(set(ids))
    by_target = {to: [c for c in criteria if c.to == to] for to in ("P0", "P1", "management")}
    assert len(by_target["P0"]) == 6
    assert len(by_target["P1"]) == 5
    # ">1 hour (P0) or >4 hours (P1)" is split in two, plus the four other reasons.
    assert len(by_target["management"]) == 6
    outage = next(c for c in criteria if c.id == "p0-outage-over-5m")
    assert outage.after == span("5m")
    persists = next(c for c in criteria if c.id == "p1-persists-over-15m")
    assert persists.after == span("15m")
    assert pb.escalation.management_after == {"P0": span("1h"), "P1": span("4h")}


# --- on call ------------------------------------------------------------------------


def test_three_rotations(pb: Playbook) -> None:
    rotations = {r.id: r for r in pb.on_call.rotations}
    assert set(rotations) == {"primary-weekly", "secondary-weekly", "team-leads-monthly"}
    primary = rotations["primary-weekly"]
    assert (primary.shift.unit, primary.shift.count) == ("weekly", 1)
    assert primary.handoff_weekday == "mon"
    assert primary.handoff_time.hour == 9
    assert primary.start.weekday() == 0
    assert len(primary.members) >= 3
    secondary = rotations["secondary-weekly"]
    assert secondary.shift.unit == "weekly"
    assert secondary.offset == span("84h")
    assert secondary.offset is not None
    assert secondary.offset.approx() == timedelta(days=3.5)
    assert not set(primary.members) & set(secondary.members)
    escalation = rotations["team-leads-monthly"]
    assert escalation.shift.unit == "monthly"
    assert all(member.startswith("team-lead") for member in escalation.members)
    schedules = {s.id: [layer.rotation for layer in s.layers] for s in pb.on_call.schedules}
    assert schedules == {
        "aurigraph-primary": ["primary-weekly"],
        "aurigraph-secondary": ["secondary-weekly"],
        "aurigraph-escalation": ["team-leads-monthly"],
    }


def test_on_call_duties_and_handoff(pb: Playbook) -> None:
    on_call = pb.on_call
    assert [len(on_call.responsibilities[k]) for k in ("before_shift", "during_shift")] == [6, 6]
    assert len(on_call.responsibilities["after_shift"]) == 4
    assert len(on_call.tools_checklist["required"]) == 8
    assert len(on_call.tools_checklist["optional"]) == 4
    assert len(on_call.handoff_procedure) == 5
    assert on_call.handoff_channel == "#ops-handoff"
    methods = {rule.method for rule in on_call.default_notification_rules}
    assert {"push", "sms", "voice", "email"} <= methods


def test_compensation(pb: Playbook) -> None:
    comp = pb.compensation
    assert (comp.weekday_hours_per_day, comp.weekend_hours_per_day) == (2, 4)
    assert (comp.holiday_hours_per_day, comp.incident_multiplier) == (8, 1.5)
    assert comp.business_hours.days == ["mon", "tue", "wed", "thu", "fri"]
    assert (comp.business_hours.start.hour, comp.business_hours.end.hour) == (9, 17)
    assert comp.holiday_country == "US"


# --- communications --------------------------------------------------------------------


@pytest.mark.parametrize(("family", "variant"), SEED_VARIANTS)
def test_template_variant_present(pb: Playbook, family: str, variant: str) -> None:
    assert variant in pb.communications.templates[family].variants


def test_exactly_the_seed_template_variants(pb: Playbook) -> None:
    present = {
        (family_id, variant_id)
        for family_id, family in pb.communications.templates.items()
        for variant_id in family.variants
    }
    assert present == set(SEED_VARIANTS)


def test_external_variants_go_to_customers_and_security_internal_is_confidential(
    pb: Playbook,
) -> None:
    audiences = {a.id: a for a in pb.communications.audiences}
    for family in pb.communications.templates.values():
        for variant in family.variants.values():
            if variant.channel in ("status_page", "customer_email"):
                assert variant.audience is not None
                assert audiences[variant.audience].external
    internal = pb.communications.templates["security"].variants["internal"]
    assert internal.confidential
    assert internal.audience is not None
    assert audiences[internal.audience].security_only


def _variables(template: nodes.Template) -> set[str]:
    return meta.find_undeclared_variables(template)


def _attributes(template: nodes.Template) -> set[tuple[str, str]]:
    return {
        (node.node.name, node.attr)
        for node in template.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name)
    }


def test_every_template_parses_and_uses_only_documented_variables(pb: Playbook) -> None:
    env = sandbox()
    seen = 0
    for where, text in all_templates(pb):
        ast = env.parse(text)
        unknown = _variables(ast) - set(TEMPLATE_CONTEXT)
        assert not unknown, f"{where} uses undocumented variables {sorted(unknown)}"
        for name, attr in _attributes(ast):
            attrs = TEMPLATE_CONTEXT.get(name)
            if name in _variables(ast):
                assert attrs is not None, f"{where}: '{name}' has no attributes"
                assert attr in attrs, f"{where} uses undocumented '{name}.{attr}'"
        seen += 1
    assert seen >= len(SEED_VARIANTS) + 5  # every variant's body + the war room strings


def test_postmortem_template_is_literal_markdown(pb: Playbook) -> None:
    template = pb.postmortems.template
    assert template.startswith("# Post-Mortem: <Incident Title>")
    assert not _variables(sandbox().parse(template))
    for heading in (
        "## Executive Summary",
        "## Root Cause Analysis",
        "### Prevent",
        "### Detect",
        "### Respond",
        "## Lessons Learned",
        "## Review & Sign-Off",
    ):
        assert heading in template


def test_documented_context_matches_docs() -> None:
    text = DOCS_TEMPLATES.read_text(encoding="utf-8")
    section = text.split("## The template context", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+(?:\.[a-z_]+)?)`", section, flags=re.MULTILINE)
    documented = set(rows)
    assert len(rows) == len(documented), "a variable is documented twice"
    expected = set()
    for name, attrs in TEMPLATE_CONTEXT.items():
        expected.add(name)
        expected.update(f"{name}.{attr}" for attr in attrs or ())
    assert documented == expected


def test_every_template_renders_with_the_documented_context(pb: Playbook) -> None:
    env = sandbox()
    for where, text in all_templates(pb):
        rendered = env.from_string(text).render(SAMPLE_CONTEXT)
        assert rendered.strip(), where
        assert "{{" not in rendered and "{%" not in rendered, where


def test_optional_values_fall_back_to_the_seed_wording(pb: Playbook) -> None:
    context = {k: v for k, v in SAMPLE_CONTEXT.items() if k not in ("root_cause", "eta")}
    body = pb.communications.templates["update"].variants["internal"].body
    assert body is not None
    rendered = sandbox().from_string(body).render(context)
    assert "Root Cause (if identified): Still investigating" in rendered
    assert "ETA to Resolution: Unknown" in rendered


def test_missing_variable_is_an_error(pb: Playbook) -> None:
    body = pb.communications.templates["initial"].variants["internal"].body
    assert body is not None
    context = {k: v for k, v in SAMPLE_CONTEXT.items() if k != "war_room_url"}
    with pytest.raises(Exception, match="war_room_url"):
        sandbox().from_string(body).render(context)


def test_initial_chat_message_layout(pb: Playbook) -> None:
    body = pb.communications.templates["initial"].variants["internal"].body
    assert body is not None
    assert sandbox().from_string(body).render(SAMPLE_CONTEXT) == (
        "INCIDENT ALERT - [P0] API returning 503s\n"
        "\n"
        "Severity: P0\n"
        "Status: INVESTIGATING\n"
        "Start Time: 2025-11-17 09:30 UTC\n"
        "Incident Commander: @alice\n"
        "Impact: failed API requests\n"
        "\n"
        "Current Actions:\n"
        "- Rolling back the 09:15 deployment\n"
        "- Scaling API pods\n"
        "\n"
        "Incident Channel: #incident-20251117-0930-p0\n"
        "War Room: https://zoom.example.com/j/aurigraph-war-room\n"
        "\n"
        "Next Update: 09:45 UTC"  # Jinja2 drops the single trailing newline
    )


def test_war_room_channel_name_and_topic(pb: Playbook) -> None:
    env = sandbox()
    channel = env.from_string(pb.war_room.channel_name).render(SAMPLE_CONTEXT)
    assert channel == "incident-20251117-0930-p0"
    security = {**SAMPLE_CONTEXT, "incident": {**SAMPLE_CONTEXT["incident"], "is_security": True}}
    assert env.from_string(pb.war_room.channel_name).render(security) == (
        "security-incident-20251117-0930"
    )
    topic = env.from_string(pb.war_room.topic).render(SAMPLE_CONTEXT)
    assert topic == (
        "[P0] API returning 503s | IC: @alice | War Room: https://zoom.example.com/j/aurigraph-war-room"
    )


def found_leaks(pb: Playbook, text: str) -> list[str]:
    rules = pb.communications
    return leaks(
        text, rules.customer_message_forbidden_patterns, rules.customer_message_allowed_patterns
    )


def test_customer_messages_pass_the_forbidden_patterns(pb: Playbook) -> None:
    env = sandbox()
    checked = 0
    for family in pb.communications.templates.values():
        for variant in family.variants.values():
            if variant.channel not in ("status_page", "customer_email"):
                continue
            for text in (variant.subject, variant.title, variant.body):
                if text is None:
                    continue
                rendered = env.from_string(text).render(SAMPLE_CONTEXT)
                assert not found_leaks(pb, rendered)
            checked += 1
    assert checked == 8


@pytest.mark.parametrize(
    "leak",
    [
        "db-1.internal",
        "api.aurigraph-production.svc.cluster.local",
        "10.0.3.17",
        "Authorization: Bearer abcdef0123456789",
        "api_key=sk_live_123",
        "AKIAABCDEFGHIJKLMNOP",
        "alice@example.com",
    ],
)
def test_forbidden_patterns_catch_leaks(pb: Playbook, leak: str) -> None:
    assert found_leaks(pb, f"Root cause: {leak} failed.")


@pytest.mark.parametrize(
    "text", ["write to support@example.com", "Security@example.com", "see example.com"]
)
def test_the_public_addresses_are_allowed(pb: Playbook, text: str) -> None:
    assert found_leaks(pb, text) == []


def test_an_allowed_address_does_not_hide_a_staff_one(pb: Playbook) -> None:
    text = "support@example.com, x.support@example.com and bob@example.com"
    assert found_leaks(pb, text) == ["x.support@example.com", "bob@example.com"]


# --- war room, post-mortems ---------------------------------------------------------


def test_war_room(pb: Playbook) -> None:
    war_room = pb.war_room
    assert [rule.when for rule in war_room.activation] == [
        "always",
        "multiple_teams",
        "duration",
        "security",
        "executive_involved",
    ]
    assert war_room.activation[2].after == span("30m")
    roles = {role.id: role for role in war_room.roles}
    assert set(roles) == {"ic", "tech_lead", "comms_lead", "sme", "scribe"}
    assert roles["ic"].required_for == ["P0", "P1"]
    assert sum(len(role.responsibilities) for role in roles.values()) == 6 + 5 + 5 + 4 + 5
    assert war_room.invite == ["@oncall", "@team-lead", "@devops-lead"]
    checkpoints = war_room.checkpoints
    assert checkpoints.interval == span("15m")
    assert checkpoints.message == (
        "@channel 15-minute checkpoint. IC: Please provide status update."
    )
    assert checkpoints.management_reminder == {"P0": span("1h"), "P1": span("4h")}
    assert len(war_room.tracking_doc_sections) == 5
    assert set(war_room.meeting_structure) == {"opening", "ongoing", "closing"}
    assert (len(war_room.best_practices["do"]), len(war_room.best_practices["dont"])) == (7, 7)
    assert {"command_confirmation", "status_update", "decision_point"} <= set(war_room.protocols)


def test_postmortem_meeting(pb: Playbook) -> None:
    meeting = pb.postmortems.meeting
    assert meeting.duration == span("60m")
    assert len(meeting.agenda) == 7
    minutes = [int(m) for item in meeting.agenda for m in re.findall(r"\((\d+) min\)", item)]
    assert sum(minutes) == 65  # the seed's agenda: 5+15+15+10+10+5+5
    assert len(meeting.attendees) == 4
    assert len(pb.postmortems.reviewers) == 3


# --- workflows, decision tree ---------------------------------------------------------


def _reachable(workflow) -> set[str]:  # type: ignore[no-untyped-def]
    steps = {step.id: step for step in workflow.steps}
    seen, todo = set(), [workflow.start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        step = steps[current]
        todo.extend(t for t in [step.next, *step.branches.values()] if t is not None)
    return seen


@pytest.mark.parametrize(
    ("workflow_id", "trigger", "severities", "step_count"),
    [
        ("high-error-rate", "Error Rate > 1% for 5 min", ["P1"], 17),
        ("service-outage", "Service Health Check Failed", ["P0"], 15),
        ("database-performance", "Database CPU > 85% for 10 min", ["P1", "P2"], 14),
    ],
)
def test_workflow_graph(
    pb: Playbook, workflow_id: str, trigger: str, severities: list[str], step_count: int
) -> None:
    workflow = next(w for w in pb.workflows if w.id == workflow_id)
    assert workflow.trigger == trigger
    assert workflow.severity == severities
    assert len(workflow.steps) == step_count
    assert _reachable(workflow) == {step.id for step in workflow.steps}
    for step in workflow.steps:
        leads_on = step.next is not None or bool(step.branches)
        assert leads_on != step.terminal, f"{workflow_id}.{step.id}"
        if step.branches:
            assert step.next is None and len(step.branches) >= 2


def test_workflow_branches_follow_the_seed(pb: Playbook) -> None:
    branches = {(w.id, s.id): set(s.branches) for w in pb.workflows for s in w.steps if s.branches}
    assert branches == {
        ("high-error-rate", "check-logs"): {"error pattern", "recent deployments"},
        ("high-error-rate", "known-error"): {"yes", "no"},
        ("high-error-rate", "deployment-recent"): {"yes", "no"},
        ("high-error-rate", "error-rate-normal"): {"yes", "no"},
        ("service-outage", "verify-outage"): {"down", "up (false alarm)"},
        ("service-outage", "check-pods"): {"running", "crashloop/error"},
        ("service-outage", "determine-fix-strategy"): {"rollback", "config fix"},
        ("database-performance", "check-db-metrics"): {
            "query cpu high",
            "i/o or connection bottleneck",
        },
        ("database-performance", "check-missing-indexes"): {"missing index", "present index"},
        ("database-performance", "verify-db-performance"): {"normal", "still high"},
    }


_CONDITION = re.compile(r"^([a-z_]+)\s*(<|>|<=|>=)\s*([0-9.]+)$")
_OPS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _holds(condition: str, signals: dict[str, float]) -> bool:
    match = _CONDITION.match(condition)
    assert match, f"condition {condition!r} is not '<signal> <op> <number>'"
    name, op, number = match.groups()
    return name in signals and _OPS[op](signals[name], float(number))


def classify(pb: Playbook, answers: dict[str, str], signals: dict[str, float]) -> list[str]:
    """Walk the tree: numeric answers are chosen by their condition, others by `answers`."""
    nodes_by_id = {node.id: node for node in pb.decision_tree.nodes}
    node = nodes_by_id[pb.decision_tree.start]
    while True:
        chosen = None
        for answer in node.answers:
            if answer.condition is not None:
                if _holds(answer.condition, signals):
                    chosen = answer
                    break
            elif answer.answer == answers.get(node.id, "no"):
                chosen = answer
                break
        assert chosen is not None, f"no answer at {node.id}"
        if chosen.next is None:
            return [chosen.severity] if chosen.severity else list(chosen.severities)
        node = nodes_by_id[chosen.next]


@pytest.mark.parametrize(
    ("answers", "signals", "expected"),
    [
        ({"platform-down": "yes"}, {}, ["P0"]),
        ({"critical-feature-down": "yes", "multiple-users": "yes"}, {}, ["P0"]),
        ({"critical-feature-down": "yes", "multiple-users": "no"}, {}, ["P1"]),
        ({}, {"tps": 450_000}, ["P0"]),
        ({}, {"tps": 650_000}, ["P1"]),
        ({}, {"tps": 900_000, "latency_seconds": 6}, ["P1"]),
        ({}, {"tps": 900_000, "error_rate": 0.08}, ["P1"]),
        ({"security-concern": "yes (active breach)"}, {"tps": 900_000}, ["P0"]),
        ({"security-concern": "yes (potential breach)"}, {}, ["P1"]),
        ({"users-complaining": "yes (multiple)"}, {}, ["P1"]),
        ({"users-complaining": "yes (few)"}, {}, ["P2"]),
        ({}, {"tps": 900_000, "latency_seconds": 0.2, "error_rate": 0.001}, ["P2", "P3"]),
    ],
)
def test_decision_tree(
    pb: Playbook, answers: dict[str, str], signals: dict[str, float], expected: list[str]
) -> None:
    assert classify(pb, answers, signals) == expected


def test_decision_tree_has_every_node_of_the_seed(pb: Playbook) -> None:
    tree = pb.decision_tree
    assert [len(node.answers) for node in tree.nodes] == [2, 2, 2, 5, 3, 3]
    conditions = [a.condition for node in tree.nodes for a in node.answers if a.condition]
    assert conditions == [
        "tps < 500000",
        "tps < 700000",
        "latency_seconds > 5",
        "error_rate > 0.05",
    ]


# --- SLA, drills, integrations, runbooks ------------------------------------------------


def test_sla_rows(pb: Playbook) -> None:
    rows = {row.severity: row for row in pb.sla}
    assert list(rows) == ["P0", "P1", "P2", "P3"]
    expected = {
        "P0": ("5m", "1h", "5m", "1h"),
        "P1": ("15m", "4h", "15m", "4h"),
        "P2": ("1h", "24h", "1h", "24h"),
        "P3": ("1bd", "1w", "1d", "1w"),
    }
    for sev, (response, resolution, mtta, mttr) in expected.items():
        row = rows[sev]
        assert row.response_time == span(response)
        assert row.resolution_time == span(resolution)
        assert row.mtta_target == span(mtta)
        assert row.mttr_target == span(mttr)
        severity = pb.severity(sev)
        assert (severity.response_time, severity.resolution_target) == (
            row.response_time,
            row.resolution_time,
        )


def test_drills(pb: Playbook) -> None:
    assert [s.name for s in pb.drills.scenarios] == [
        "Database failover",
        "Complete service outage",
        "Security breach response",
        "Multi-region failure",
        "Third-party API outage",
    ]
    workflows = {w.id for w in pb.workflows}
    for scenario in pb.drills.scenarios:
        assert scenario.workflow is None or scenario.workflow in workflows
    assert len(pb.drills.training) == 3
    assert len(pb.drills.schedule.notes) == 3


def test_one_integration_of_each_format(pb: Playbook) -> None:
    formats = sorted(i.format for i in pb.integrations)
    assert formats == sorted(
        ["alertmanager", "pagerduty", "opsgenie", "grafana", "generic", "heartbeat"]
    )
    assert {i.service for i in pb.integrations} == {pb.services[0].id}
    generic = next(i for i in pb.integrations if i.format == "generic")
    for key in ("summary_path", "dedup_key_path", "severity_path", "resolve_path"):
        assert getattr(generic.options, key)
    heartbeat = next(i for i in pb.integrations if i.format == "heartbeat")
    assert heartbeat.options.interval == span("5m")
    assert heartbeat.options.grace == span("1m")


def test_runbooks(pb: Playbook) -> None:
    for section in ("health_checks", "pod_status", "quick_fixes", "database", "monitoring"):
        assert pb.runbooks[section], section
    assert len(pb.runbooks["runbook_links"]) == 11
