"""`/incident …` slash-command text into a command (pure).

    declare <title> [--sev P1]     ack              role <role> @user
    task @user <text>              update <text>    status <status>
    escalate [level]               resolve [summary]
An incident is the one whose war room the command is typed in, or `#42` given first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

USAGE = (
    "Usage: /incident declare <title> [--sev P0-P3] | ack | role <ic|tech_lead|comms_lead|"
    "scribe|sme> @user | task @user <text> | update <text> | status <status> | "
    "escalate [level] | resolve [summary]   (prefix #N to name an incident)"
)
VERBS = {"declare", "ack", "role", "task", "update", "status", "escalate", "resolve", "help"}


class CommandError(ValueError):
    pass


@dataclass(frozen=True)
class ChatCommand:
    verb: str
    incident: int | None = None
    args: dict[str, str] = field(default_factory=dict)


def _user(token: str) -> str:
    # Slack sends mentions as <@U123|name> when escaping is on, else @name.
    match = re.fullmatch(r"<@([A-Z0-9]+)(?:\|([^>]+))?>", token)
    if match:
        return match.group(2) or match.group(1)
    return token.lstrip("@")


def parse(text: str) -> ChatCommand:
    words = text.strip().split(maxsplit=1)
    if not words:
        raise CommandError(USAGE)
    incident: int | None = None
    if re.fullmatch(r"#\d+", words[0]):
        incident = int(words[0][1:])
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
        if not words:
            raise CommandError(USAGE)
    verb, rest = words[0].lower(), (words[1] if len(words) > 1 else "").strip()
    if verb not in VERBS:
        raise CommandError(f"unknown command '{verb}'. {USAGE}")
    if verb == "declare":
        severity = "P2"
        match = re.search(r"(?:^|\s)--sev(?:erity)?[= ](P[0-3])\b", rest, re.IGNORECASE)
        if match:
            severity = match.group(1).upper()
            rest = (rest[: match.start()] + rest[match.end() :]).strip()
        if not rest:
            raise CommandError("declare needs a title: /incident declare <title> --sev P1")
        if len(rest) > 500:
            raise CommandError("a title is at most 500 characters")
        return ChatCommand("declare", None, {"title": rest, "severity": severity})
    if verb == "role":
        parts = rest.split()
        if len(parts) != 2:
            raise CommandError("role needs a role and a person: /incident role ic @alice")
        return ChatCommand("role", incident, {"role": parts[0].lower(), "person": _user(parts[1])})
    if verb == "task":
        parts = rest.split(maxsplit=1)
        if len(parts) != 2 or not parts[0].startswith(("@", "<@")):
            raise CommandError("task needs a person and the task: /incident task @bob <text>")
        return ChatCommand("task", incident, {"assignee": _user(parts[0]), "text": parts[1]})
    if verb == "update":
        if not rest:
            raise CommandError("update needs text: /incident update <what changed>")
        return ChatCommand("update", incident, {"text": rest})
    if verb == "status":
        if not rest:
            raise CommandError(
                "status needs one of investigating, identified, monitoring, resolved"
            )
        return ChatCommand("status", incident, {"status": rest.split()[0].lower()})
    if verb == "escalate":
        if rest and not (rest.isascii() and rest.isdigit()):
            raise CommandError("escalate takes an optional level number: /incident escalate 3")
        return ChatCommand("escalate", incident, {"level": rest} if rest else {})
    if verb == "resolve":
        return ChatCommand("resolve", incident, {"summary": rest} if rest else {})
    if verb == "help":
        raise CommandError(USAGE)
    return ChatCommand(verb, incident, {})
