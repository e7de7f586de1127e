from __future__ import annotations

import pytest
from pydantic import SecretStr

from channels._support import Answer, Receiver, outgoing
from firebell.channels.mattermost import MattermostChannel
from firebell.channels.ntfy import NtfyChannel
from firebell.channels.registry import (
    ChannelSettings,
    NtfySettings,
    SlackApiSettings,
    TwilioSettings,
    build_channels,
    channel_settings_from_env,
)
from firebell.channels.slack_api import SlackChatChannel
from firebell.channels.slack_webhook import SlackWebhookChannel
from firebell.channels.teams import TeamsChannel
from firebell.channels.twilio import TwilioSmsChannel, TwilioVoiceChannel

FULL_ENV = {
    "FIREBELL_SLACK_BOT_TOKEN": "xoxb-env-sekrit",
    "FIREBELL_SLACK_BASE_URL": "http://slack.local",
    "FIREBELL_TWILIO_ACCOUNT_SID": "AC1",
    "FIREBELL_TWILIO_AUTH_TOKEN": "twilio-env-sekrit",
    "FIREBELL_TWILIO_FROM": "+15005550006",
    "FIREBELL_TWILIO_BASE_URL": "http://twilio.local",
    "FIREBELL_NTFY_BASE_URL": "http://ntfy.local",
    "FIREBELL_NTFY_TOKEN": "ntfy-env-sekrit",
}


def test_unconfigured_builds_only_the_address_is_the_url_channels() -> None:
    channels = build_channels(channel_settings_from_env({}))
    assert sorted(channels) == ["mattermost", "slack", "teams"]
    assert isinstance(channels["slack"], SlackWebhookChannel)
    assert isinstance(channels["teams"], TeamsChannel)
    assert isinstance(channels["mattermost"], MattermostChannel)


def test_everything_configured_from_env() -> None:
    settings = channel_settings_from_env(FULL_ENV)
    channels = build_channels(settings)
    assert sorted(channels) == ["chat", "mattermost", "push", "slack", "sms", "teams", "voice"]
    for method, channel in channels.items():
        assert channel.method == method
    chat, sms, voice, push = channels["chat"], channels["sms"], channels["voice"], channels["push"]
    assert isinstance(chat, SlackChatChannel)
    assert chat.api.base_url == "http://slack.local"
    assert isinstance(sms, TwilioSmsChannel)
    assert isinstance(voice, TwilioVoiceChannel)
    assert (sms.account_sid, sms.from_number, sms.base_url) == (
        "AC1",
        "+15005550006",
        "http://twilio.local",
    )
    assert isinstance(push, NtfyChannel)
    assert push.base_url == "http://ntfy.local"


def test_defaults_for_base_urls() -> None:
    env = {
        "FIREBELL_SLACK_BOT_TOKEN": "xoxb-1",
        "FIREBELL_TWILIO_ACCOUNT_SID": "AC1",
        "FIREBELL_TWILIO_AUTH_TOKEN": "t",
        "FIREBELL_TWILIO_FROM": "+1",
        "FIREBELL_NTFY_TOKEN": "tk",
    }
    settings = channel_settings_from_env(env)
    assert settings.slack_api is not None and settings.slack_api.base_url == "https://slack.com"
    assert settings.twilio is not None and settings.twilio.base_url == "https://api.twilio.com"
    assert settings.ntfy is not None and settings.ntfy.base_url == "https://ntfy.sh"


def test_ntfy_is_off_unless_asked_for() -> None:
    assert channel_settings_from_env({"FIREBELL_NTFY_BASE_URL": ""}).ntfy is None
    only_url = channel_settings_from_env({"FIREBELL_NTFY_BASE_URL": "https://ntfy.sh"})
    assert only_url.ntfy is not None and only_url.ntfy.token is None


def test_partial_twilio_names_the_missing_variables_not_the_values() -> None:
    with pytest.raises(ValueError) as caught:
        channel_settings_from_env(
            {"FIREBELL_TWILIO_ACCOUNT_SID": "AC1", "FIREBELL_TWILIO_AUTH_TOKEN": "tw-sekrit"}
        )
    assert "FIREBELL_TWILIO_FROM" in str(caught.value)
    assert "tw-sekrit" not in str(caught.value)


def test_secrets_are_hidden_in_settings_and_channel_reprs() -> None:
    settings = channel_settings_from_env(FULL_ENV)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    shown += "".join(repr(c) for c in build_channels(settings).values())
    for secret in ("xoxb-env-sekrit", "twilio-env-sekrit", "ntfy-env-sekrit"):
        assert secret not in shown


def test_built_channels_deliver(receiver: Receiver) -> None:
    settings = ChannelSettings(
        slack_api=SlackApiSettings(base_url=receiver.url, bot_token=SecretStr("xoxb-1")),
        twilio=TwilioSettings(
            base_url=receiver.url,
            account_sid="AC9",
            auth_token=SecretStr("tok"),
            from_number="+1500",
        ),
        ntfy=NtfySettings(base_url=receiver.url),
        timeout=3,
    )
    channels = build_channels(settings)
    receiver.script("/api/chat.postMessage", Answer(200, {"ok": True, "ts": "1.0"}))
    receiver.script("/2010-04-01/Accounts/AC9/Messages.json", Answer(201, {"sid": "SM1"}))
    receiver.script("/2010-04-01/Accounts/AC9/Calls.json", Answer(201, {"sid": "CA1"}))
    channels["chat"].send(outgoing("C1"))
    channels["sms"].send(outgoing("+1555"))
    channels["voice"].send(outgoing("+1555"))
    channels["push"].send(outgoing("oncall"))
    channels["slack"].send(outgoing(receiver.url + "/slack"))
    channels["teams"].send(outgoing(receiver.url + "/teams"))
    channels["mattermost"].send(outgoing(receiver.url + "/mm"))
    assert [r.path for r in receiver.requests] == [
        "/api/chat.postMessage",
        "/2010-04-01/Accounts/AC9/Messages.json",
        "/2010-04-01/Accounts/AC9/Calls.json",
        "/oncall",
        "/slack",
        "/teams",
        "/mm",
    ]


def test_settings_refuse_unknown_fields_and_bad_timeouts() -> None:
    with pytest.raises(ValueError):
        ChannelSettings.model_validate({"slak_api": {}})
    with pytest.raises(ValueError):
        ChannelSettings(timeout=0)
