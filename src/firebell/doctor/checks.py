"""The pure checks: playbook + configured channel methods + facts -> findings.

Nothing here touches the network, the database or the clock; `run` gathers the facts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from firebell.doctor.findings import Finding, error, ok, warning
from firebell.paging.policy import deliveries
from firebell.playbook.schema import EscalationTarget, Person, Playbook
from firebell.reserved import reserved_address

CLOCK_TOLERANCE = timedelta(seconds=5)


def reachable_methods(person: Person, playbook: Playbook, methods: Collection[str]) -> list[str]:
    """The methods by which a page to `person` would really go out: a configured channel,
    an address that is not a placeholder, a person not marked example."""
    if person.example:
        return []
    plans, _ = deliveries(person, playbook.on_call.default_notification_rules, "high")
    return sorted(
        {p.method for p in plans if p.method in methods and not reserved_address(p.address)}
    )


def people_without_contact(playbook: Playbook, methods: Collection[str]) -> list[Finding]:
    """One finding per real person nobody can page; the example people as one finding."""
    found = []
    examples = [p.id for p in playbook.people if p.example]
    if examples:
        found.append(
            warning(
                "contacts",
                f"{len(examples)} example people cannot be paged: {', '.join(examples)}",
                "replace the example contacts with real people (firebell init)",
            )
        )
    for person in playbook.people:
        if not person.example and not reachable_methods(person, playbook, methods):
            found.append(
                warning(
                    "contacts",
                    f"{person.id} ({person.name}) cannot be paged: no reachable contact method",
                    _contact_fix(person, methods),
                )
            )
    if not found:
        found.append(ok("contacts", f"all {len(playbook.people)} people can be paged"))
    return found


def _contact_fix(person: Person, methods: Collection[str]) -> str:
    configured = ", ".join(sorted(methods)) or "none"
    return (
        f"give {person.id} an address for a configured channel ({configured}) and a "
        "notification rule that uses it, or configure the channel"
    )


def _members(playbook: Playbook, target: EscalationTarget) -> set[str]:
    if target.type == "person":
        return {target.id}
    if target.type == "team":
        team = next((t for t in playbook.teams if t.id == target.id), None)
        return set(team.members) if team else set()
    rotations = {r.id: r for r in playbook.on_call.rotations}
    schedule = next((s for s in playbook.on_call.schedules if s.id == target.id), None)
    if schedule is None:
        return set()
    return {m for layer in schedule.layers for m in rotations[layer.rotation].members}


def unreachable_levels(playbook: Playbook, methods: Collection[str]) -> list[Finding]:
    """Escalation levels where nobody who could be paged has a reachable method."""
    people = {p.id: p for p in playbook.people}
    reachable = {
        pid for pid, person in people.items() if reachable_methods(person, playbook, methods)
    }
    found = []
    for policy in playbook.escalation_policies:
        for number, level in enumerate(policy.levels, start=1):
            members = set().union(*(_members(playbook, t) for t in level.targets))
            if not members & reachable:
                found.append(
                    error(
                        "escalation",
                        f"policy {policy.id} level {number} ({level.name}): nobody can "
                        "receive a page",
                        "put at least one reachable person on its targets: "
                        + ", ".join(f"{t.type} {t.id}" for t in level.targets),
                    )
                )
    if not found:
        found.append(ok("escalation", "every escalation level has someone who can be paged"))
    return found


def example_contacts(playbook: Playbook) -> list[Finding]:
    """Placeholders still in the playbook: example people, reserved addresses."""
    places: list[str] = [f"people: {p.id}" for p in playbook.people if p.example]
    org = playbook.organization
    for name, value in (
        ("organization.support_email", org.support_email),
        ("organization.security_email", org.security_email),
        ("organization.status_page_url", org.status_page_url),
        ("war_room.bridge_url", playbook.war_room.bridge_url),
    ):
        if value and reserved_address(value):
            places.append(f"{name}: {value}")
    for person in playbook.people:
        if person.example:
            continue
        for value in (person.email, person.phone, person.webhook_url):
            if value and reserved_address(value):
                places.append(f"people: {person.id}: {value}")
    for audience in playbook.communications.audiences:
        for channel in audience.channels:
            if reserved_address(channel):
                places.append(f"audience {audience.id}: {channel}")
    if not places:
        return [ok("examples", "no example contacts or reserved addresses left")]
    shown = "; ".join(places[:6]) + (f"; and {len(places) - 6} more" if len(places) > 6 else "")
    return [
        warning(
            "examples",
            f"{len(places)} example contact(s) or reserved address(es), never delivered to: "
            + shown,
            "replace them with your own (firebell init writes a playbook with yours)",
        )
    ]


def silent_integrations(playbook: Playbook, heard_from: Collection[str]) -> list[Finding]:
    silent = [i.id for i in playbook.integrations if i.id not in heard_from]
    if not playbook.integrations:
        return [ok("integrations", "no integrations configured")]
    if not silent:
        return [ok("integrations", "every integration has received events")]
    return [
        warning(
            "integrations",
            f"never received an event: {', '.join(silent)}",
            "point the sender at the URL `firebell integrations` shows, or remove the "
            "integration from the playbook",
        )
    ]


def channels_configured(methods: Collection[str], console_used: bool = False) -> list[Finding]:
    """Paging needs at least one channel that reaches a person directly. The console
    (always on) counts, with a warning, only when someone's rules use it."""
    personal = {"email", "sms", "voice", "chat", "push"} & set(methods)
    if personal:
        return [ok("channels", f"configured: {', '.join(sorted(personal))}")]
    if console_used and "console" in methods:
        return [
            warning(
                "channels",
                "only the web console can reach a person, and only while their console "
                "is open in a browser",
                "configure SMTP, Slack, Twilio or ntfy (firebell init, or FIREBELL_SMTP_HOST…)",
            )
        ]
    return [
        error(
            "channels",
            "no channel can reach a person (only webhooks are on)",
            "configure SMTP, Slack, Twilio or ntfy (firebell init, or FIREBELL_SMTP_HOST…)",
        )
    ]


def uses_console(playbook: Playbook, methods: Collection[str]) -> bool:
    """Whether anyone is paged by the console method (a rule of theirs uses it)."""
    return any("console" in reachable_methods(p, playbook, methods) for p in playbook.people)


def console_pages(playbook: Playbook, methods: Collection[str]) -> list[Finding]:
    """People paged by the `console` method: say it only reaches an open console, and
    who has nothing else that reaches them."""
    users = []
    alone = []
    for person in playbook.people:
        if person.example:
            continue
        reachable = reachable_methods(person, playbook, methods)
        if "console" in reachable:
            users.append(person.id)
            if reachable == ["console"]:
                alone.append(person.id)
    if not users:
        return []
    found = [
        ok(
            "console",
            f"{len(users)} people are paged in the web console ({', '.join(users)}); "
            "it only reaches people whose console is open",
        )
    ]
    if alone:
        found.append(
            warning(
                "console",
                f"only the console pages {', '.join(alone)}: nobody is reached while their "
                "console is closed",
                "add a notification rule with another method (email, sms, push…)",
            )
        )
    return found


def clock_skew(local: datetime, reference: datetime | None, source: str) -> list[Finding]:
    if reference is None:
        return [ok("clock", f"{local:%Y-%m-%d %H:%M:%S} UTC (no {source} to compare with)")]
    skew = abs(local - reference)
    if skew > CLOCK_TOLERANCE:
        return [
            error(
                "clock",
                f"this machine's clock is {skew.total_seconds():.0f} s away from the {source}",
                "synchronise the clocks (NTP): timers, SLAs and pages run on them",
            )
        ]
    return [ok("clock", f"within {CLOCK_TOLERANCE.total_seconds():.0f} s of the {source}")]


def database(reachable: bool, detail: str, revision: str | None, head: str) -> list[Finding]:
    if not reachable:
        return [error("database", detail, "check --database-url and that the server runs")]
    if revision != head:
        return [
            warning(
                "database",
                f"schema at revision {revision or 'none'}, this firebell expects {head}",
                "start `firebell serve` once to migrate",
            )
        ]
    return [ok("database", f"{detail} (schema {head})")]


def probe_results(results: Mapping[str, str | None]) -> list[Finding]:
    """Live channel checks: method -> None when it passed, else the reason."""
    found = []
    for method, problem in sorted(results.items()):
        if problem is None:
            found.append(ok(f"channel:{method}", f"{method}: the service accepted firebell"))
        else:
            found.append(
                error(
                    f"channel:{method}",
                    f"{method} is configured but fails: {problem}",
                    f"fix the FIREBELL_* settings of {method}",
                )
            )
    return found


def server(base_url: str, problem: str | None) -> list[Finding]:
    if problem is None:
        return [ok("server", f"firebell answers at {base_url}")]
    return [warning("server", problem, "start it with `firebell serve`")]


def drill_organisers(playbook: Playbook, methods: Collection[str]) -> list[Finding]:
    """Reminders of planned drills go to the organisers by e-mail or their webhook: a real
    organiser with neither on a configured channel would never be reminded. (Example
    people are reported by `example_contacts`.) Nothing to say when all is well."""
    if not playbook.drills.schedule.reminders:
        return []
    people = {p.id: p for p in playbook.people}
    missed: list[str] = []
    for planned in playbook.drills.schedule.drills:
        for organiser in planned.organisers:
            person = people.get(organiser)
            if person is None or person.example:
                continue
            ways = [
                address
                for method, address in (("email", person.email), ("webhook", person.webhook_url))
                if address and method in methods and not reserved_address(address)
            ]
            if not ways:
                missed.append(f"{organiser} ({planned.id})")
    if not missed:
        return []
    return [
        warning(
            "drills",
            "drill organisers who would get no reminder: " + ", ".join(dict.fromkeys(missed)),
            "give them an e-mail address (with SMTP configured) or a webhook_url",
        )
    ]


def single_sign_on(issuer: str | None, problem: str | None) -> list[Finding]:
    """Single sign-on, when configured: its issuer's discovery document (probed live)."""
    if issuer is None:
        return []
    if problem is None:
        return [ok("sso", f"single sign-on: the issuer {issuer} answers its discovery document")]
    return [
        error(
            "sso",
            f"single sign-on is configured but fails: {problem}",
            "check FIREBELL_OIDC_ISSUER and that firebell can reach it (console users can "
            "still sign in with a password)",
        )
    ]
