"""Which channels exist, from settings: `build_channels(channel_settings_from_env())`.

Slack incoming webhooks (`slack`), Teams (`teams`) and Mattermost (`mattermost`) need no
configuration (the address is the webhook URL), so they are always built. The others are
built only when configured:

- `chat` (Slack Web API): `FIREBELL_SLACK_BOT_TOKEN` (required), `FIREBELL_SLACK_BASE_URL`.
- `sms` and `voice` (Twilio): `FIREBELL_TWILIO_ACCOUNT_SID`, `FIREBELL_TWILIO_AUTH_TOKEN` and
  `FIREBELL_TWILIO_FROM` (all three), `FIREBELL_TWILIO_BASE_URL`.
- `push` (ntfy): `FIREBELL_NTFY_BASE_URL` and/or `FIREBELL_NTFY_TOKEN`.

ntfy is off unless one of its variables is set: a self-hosted install should not publish
incident details to the public ntfy.sh unless asked to (`FIREBELL_NTFY_BASE_URL=https://ntfy.sh`
does). A partly configured Twilio is an error naming the missing variables. Secrets are
`SecretStr`: they never show in a repr, a log line or an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from firebell.channels import ntfy, slack_api, twilio
from firebell.channels.base import Channel
from firebell.channels.jira import JiraChannel
from firebell.channels.mattermost import MattermostChannel
from firebell.channels.ntfy import NtfyChannel
from firebell.channels.slack_api import SlackApi, SlackChatChannel
from firebell.channels.slack_webhook import SlackWebhookChannel
from firebell.channels.teams import TeamsChannel
from firebell.channels.twilio import TwilioSmsChannel, TwilioVoiceChannel


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SlackApiSettings(_Settings):
    base_url: str = slack_api.DEFAULT_BASE_URL
    bot_token: SecretStr


class TwilioSettings(_Settings):
    base_url: str = twilio.DEFAULT_BASE_URL
    account_sid: str
    auth_token: SecretStr
    from_number: str


class NtfySettings(_Settings):
    base_url: str = ntfy.DEFAULT_BASE_URL
    token: SecretStr | None = None


class JiraSettings(_Settings):
    base_url: str
    email: str
    api_token: SecretStr


class ChannelSettings(_Settings):
    """Every HTTP channel's configuration; `None` leaves that channel out."""

    slack_api: SlackApiSettings | None = None
    twilio: TwilioSettings | None = None
    ntfy: NtfySettings | None = None
    jira: JiraSettings | None = None
    timeout: float = Field(default=10.0, gt=0)  # seconds, for every channel


def build_channels(settings: ChannelSettings) -> dict[str, Channel]:
    """method name → channel, for the configured channels only."""
    t = settings.timeout
    channels: dict[str, Channel] = {
        "slack": SlackWebhookChannel(timeout=t),
        "teams": TeamsChannel(timeout=t),
        "mattermost": MattermostChannel(timeout=t),
    }
    if settings.slack_api is not None:
        s = settings.slack_api
        api = SlackApi(s.bot_token.get_secret_value(), base_url=s.base_url, timeout=t)
        channels["chat"] = SlackChatChannel(api)
    if settings.twilio is not None:
        tw = settings.twilio
        for cls in (TwilioSmsChannel, TwilioVoiceChannel):
            channel = cls(
                tw.account_sid,
                tw.auth_token.get_secret_value(),
                tw.from_number,
                base_url=tw.base_url,
                timeout=t,
            )
            channels[channel.method] = channel
    if settings.ntfy is not None:
        n = settings.ntfy
        token = n.token.get_secret_value() if n.token is not None else None
        channels["push"] = NtfyChannel(base_url=n.base_url, token=token, timeout=t)
    if settings.jira is not None:
        j = settings.jira
        channels["jira"] = JiraChannel(j.base_url, j.email, j.api_token.get_secret_value(), t)
    return channels


TWILIO_VARIABLES = {
    "account_sid": "FIREBELL_TWILIO_ACCOUNT_SID",
    "auth_token": "FIREBELL_TWILIO_AUTH_TOKEN",
    "from_number": "FIREBELL_TWILIO_FROM",
}


def channel_settings_from_env(environ: Mapping[str, str] | None = None) -> ChannelSettings:
    """ChannelSettings from `FIREBELL_*` variables (empty ones count as unset). Raises
    ValueError, naming the variables but never their values, when Twilio is half set up."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    slack: SlackApiSettings | None = None
    if (token := get("FIREBELL_SLACK_BOT_TOKEN")) is not None:
        slack = SlackApiSettings(
            bot_token=SecretStr(token),
            base_url=get("FIREBELL_SLACK_BASE_URL") or slack_api.DEFAULT_BASE_URL,
        )

    tw: TwilioSettings | None = None
    values = {field: get(name) for field, name in TWILIO_VARIABLES.items()}
    given = [field for field, value in values.items() if value is not None]
    if given and len(given) < len(values):
        missing = [TWILIO_VARIABLES[f] for f, v in values.items() if v is None]
        raise ValueError(f"Twilio is partly configured: set {', '.join(missing)} too")
    if given:
        tw = TwilioSettings(
            account_sid=values["account_sid"] or "",
            auth_token=SecretStr(values["auth_token"] or ""),
            from_number=values["from_number"] or "",
            base_url=get("FIREBELL_TWILIO_BASE_URL") or twilio.DEFAULT_BASE_URL,
        )

    nt: NtfySettings | None = None
    ntfy_url, ntfy_token = get("FIREBELL_NTFY_BASE_URL"), get("FIREBELL_NTFY_TOKEN")
    if ntfy_url is not None or ntfy_token is not None:
        nt = NtfySettings(
            base_url=ntfy_url or ntfy.DEFAULT_BASE_URL,
            token=SecretStr(ntfy_token) if ntfy_token is not None else None,
        )

    jira_values = [get(f"FIREBELL_JIRA_{n}") for n in ("BASE_URL", "EMAIL", "API_TOKEN")]
    jira: JiraSettings | None = None
    if any(jira_values) and not all(jira_values):
        raise ValueError(
            "Jira is partly configured: set FIREBELL_JIRA_BASE_URL, FIREBELL_JIRA_EMAIL "
            "and FIREBELL_JIRA_API_TOKEN"
        )
    if all(jira_values):
        jira = JiraSettings(
            base_url=jira_values[0] or "",
            email=jira_values[1] or "",
            api_token=SecretStr(jira_values[2] or ""),
        )

    return ChannelSettings(slack_api=slack, twilio=tw, ntfy=nt, jira=jira)
