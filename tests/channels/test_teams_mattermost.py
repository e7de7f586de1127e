from __future__ import annotations

from channels._support import Answer, Receiver, outgoing
from firebell.channels.mattermost import MattermostChannel
from firebell.channels.teams import TeamsChannel

FLOW = "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SIGSECRET"


def test_teams_sends_an_adaptive_card(receiver: Receiver) -> None:
    receiver.script(FLOW.split("?")[0], Answer(202, b""))
    TeamsChannel().send(outgoing(receiver.url + FLOW, subject="[P1] Checkout", body="Ack it"))

    request = receiver.only
    assert (request.method, request.path) == ("POST", FLOW)
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "[P1] Checkout",
                            "weight": "Bolder",
                            "size": "Large",
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": "Ack it", "wrap": True},
                    ],
                },
            }
        ],
    }


def test_mattermost_sends_slack_compatible_text(receiver: Receiver) -> None:
    MattermostChannel().send(outgoing(receiver.url + "/hooks/xyz", subject="[P1] Down", body="Go"))
    request = receiver.only
    assert (request.method, request.path) == ("POST", "/hooks/xyz")
    assert request.headers["content-type"] == "application/json"
    assert request.json == {"text": "**[P1] Down**\nGo", "username": "firebell"}


def test_mattermost_channel_from_the_payload(receiver: Receiver) -> None:
    MattermostChannel().send(outgoing(receiver.url + "/hooks/xyz", channel="town-square"))
    assert receiver.only.json["channel"] == "town-square"
    assert receiver.only.json["username"] == "firebell"
