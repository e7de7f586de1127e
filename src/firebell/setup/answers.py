"""What `firebell init` asks for, as one typed object."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpAnswers:
    host: str
    port: int = 25
    sender: str = "firebell@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class SlackAnswers:
    bot_token: str
    base_url: str | None = None  # default: Slack itself


@dataclass(frozen=True)
class Answers:
    organisation: str
    name: str
    email: str | None = None
    phone: str | None = None
    chat: str | None = None  # Slack member id (U…) for direct messages
    ntfy_topic: str | None = None
    ntfy_base_url: str | None = None
    timezone: str = "UTC"
    smtp: SmtpAnswers | None = None
    slack: SlackAnswers | None = None

    @property
    def person_id(self) -> str:
        """A playbook identifier from the name: 'Ada Lovelace' -> 'ada-lovelace'."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        return slug or "responder"

    def problems(self) -> list[tuple[str, str]]:
        """(field, reason) for each answer that cannot work; empty when all is well."""
        found: list[tuple[str, str]] = []
        if not self.organisation.strip():
            found.append(("organisation", "is required"))
        if not self.name.strip():
            found.append(("name", "is required"))
        if not (self.email or self.phone or self.ntfy_topic):
            found.append(("email", "give at least one of --email, --phone, --ntfy-topic"))
        if self.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.email):
            found.append(("email", f"'{self.email}' is not an e-mail address"))
        if self.phone and not re.fullmatch(r"\+[1-9]\d{6,14}", self.phone.replace(" ", "")):
            found.append(("phone", "use the international form, e.g. +14155550123"))
        if self.ntfy_topic and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.ntfy_topic):
            found.append(("ntfy_topic", "letters, digits, '-' and '_' only"))
        if self.smtp is None and self.slack is None and not self.ntfy_topic:
            found.append(("smtp_host", "configure SMTP, Slack or an ntfy topic for pages"))
        if self.smtp is not None and not self.email:
            found.append(("email", "SMTP is configured: give the address to page"))
        if self.slack is not None and not self.chat:
            found.append(("slack_user", "Slack is configured: give your Slack member id"))
        return found
