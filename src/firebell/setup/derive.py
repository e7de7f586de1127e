"""The default playbook made yours (pure): the seed's process kept, its placeholders gone.

Every example person is replaced by the first responder wherever it is named (rotations,
teams, escalation targets, admins...), so the responder is on every rotation and every
escalation level; reserved addresses become the responder's; reserved links are dropped.
"""

from __future__ import annotations

from typing import Any

from firebell.reserved import reserved_address
from firebell.setup.answers import Answers


def derive_playbook(document: dict[str, Any], answers: Answers) -> dict[str, Any]:
    """`document` is the default playbook as loaded (mutated and returned, so a
    round-trip loader keeps its comments)."""
    pid = answers.person_id
    examples = {p["id"] for p in document.get("people", []) if p.get("example")}
    _replace(document, examples, pid, answers.email)
    document["people"] = [_person(answers)]
    org = document["organization"]
    org["name"] = answers.organisation
    for key in ("support_email", "security_email"):
        if answers.email:
            org[key] = answers.email
        else:
            org.pop(key, None)
    org.pop("status_page_url", None)
    document.get("war_room", {}).pop("bridge_url", None)
    for rotation in document.get("on_call", {}).get("rotations", []):
        rotation["timezone"] = answers.timezone
    return document


def _person(answers: Answers) -> dict[str, Any]:
    person: dict[str, Any] = {"id": answers.person_id, "name": answers.name}
    if answers.email:
        person["email"] = answers.email
    if answers.phone:
        person["phone"] = answers.phone.replace(" ", "")
    if answers.chat:
        person["chat"] = answers.chat
    if answers.ntfy_topic:
        person["push_topic"] = answers.ntfy_topic
    person["timezone"] = answers.timezone
    return person


def _replace(node: Any, examples: set[str], pid: str, email: str | None) -> Any:
    """Walk the document: example ids -> the responder; reserved e-mail -> theirs."""
    if isinstance(node, dict):
        for key in list(node):
            node[key] = _replace(node[key], examples, pid, email)
        return node
    if isinstance(node, list):
        items = [_replace(item, examples, pid, email) for item in node]
        if items != list(node):  # several placeholders became one person: once each
            unique: list[Any] = []
            for item in items:
                if isinstance(item, dict | list) or item not in unique:
                    unique.append(item)
            items = unique
        node[:] = items
        return node
    if isinstance(node, str):
        if node in examples:
            return pid
        if "@" in node and " " not in node and reserved_address(node):
            return email if email else node
    return node


def settings_values(answers: Answers, playbook_path: str) -> dict[str, str]:
    """The settings file's FIREBELL_* values for these answers."""
    values = {"FIREBELL_PLAYBOOK": playbook_path}
    if answers.smtp is not None:
        s = answers.smtp
        values |= {
            "FIREBELL_SMTP_HOST": s.host,
            "FIREBELL_SMTP_PORT": str(s.port),
            "FIREBELL_SMTP_FROM": s.sender,
            "FIREBELL_SMTP_STARTTLS": "true" if s.starttls else "false",
        }
        if s.username:
            values["FIREBELL_SMTP_USERNAME"] = s.username
        if s.password:
            values["FIREBELL_SMTP_PASSWORD"] = s.password
    if answers.slack is not None:
        values["FIREBELL_SLACK_BOT_TOKEN"] = answers.slack.bot_token
        if answers.slack.base_url:
            values["FIREBELL_SLACK_BASE_URL"] = answers.slack.base_url
    if answers.ntfy_topic or answers.ntfy_base_url:
        values["FIREBELL_NTFY_BASE_URL"] = answers.ntfy_base_url or "https://ntfy.sh"
    return values
