"""An audience's channel strings as deliveries (pure).

| channel string          | delivered as                                   |
|-------------------------|------------------------------------------------|
| `#name`                 | chat message to that channel (Slack Web API)   |
| `user@host`             | email                                          |
| `slack:https://…`       | Slack incoming webhook                         |
| `teams:https://…`       | Microsoft Teams workflow webhook               |
| `mattermost:https://…`  | Mattermost incoming webhook                    |
| `webhook:https://…`     | signed firebell webhook                        |
| `sms:+1555…`            | SMS                                            |
| `ntfy:topic`            | ntfy push                                      |
| `status_page`           | a public update kept for the status page       |
| `customer_email`        | the status page's subscribers of the affected components |
| `jira:KEY`              | a Jira ticket in project KEY                    |
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIXES = {
    "slack:": "slack",
    "teams:": "teams",
    "mattermost:": "mattermost",
    "webhook:": "webhook",
    "sms:": "sms",
    "ntfy:": "push",
    "jira:": "jira",
}


@dataclass(frozen=True)
class Destination:
    kind: str  # "message", "status_page", "subscribers" or "unsupported"
    method: str = ""
    address: str = ""
    reason: str = ""


def destination(channel: str) -> Destination:
    channel = channel.strip()
    if channel == "status_page":
        return Destination("status_page")
    if channel.startswith("#"):
        return Destination("message", "chat", channel)
    for prefix, method in PREFIXES.items():
        if channel.startswith(prefix):
            return Destination("message", method, channel[len(prefix) :])
    if "@" in channel and " " not in channel and not channel.startswith("@"):
        return Destination("message", "email", channel)
    if channel == "customer_email":
        return Destination("subscribers")
    return Destination("unsupported", reason=f"unknown channel '{channel}'")


def variant_for(channel: str, variants: list[str]) -> str | None:
    """Which variant of a template family suits a channel of an audience."""
    if channel == "status_page":
        return "status_page" if "status_page" in variants else None
    if channel == "customer_email":
        # never an internal text to customers: a family without a customer variant
        # (the seed's progress update) sends them nothing by e-mail
        for name in ("customer_email", "external"):
            if name in variants:
                return name
        return None
    for name in ("internal", "advance_notice"):
        if name in variants:
            return name
    return variants[0] if variants else None
