from __future__ import annotations

import base64

import pytest

from channels._support import Answer, Receiver, outgoing
from firebell.channels.base import DeliveryError
from firebell.channels.jira import JiraChannel


def test_jira_creates_an_issue_exactly_as_the_rest_api_wants(receiver: Receiver) -> None:
    receiver.script("/rest/api/2/issue", Answer(201, {"id": "10001", "key": "OPS-7", "self": "x"}))
    channel = JiraChannel(receiver.url + "/", "ops@example.com", "tok3n")
    channel.send(
        outgoing(
            "OPS",
            subject="[P3]  #4 Docs\n stale",
            body="firebell incident #4",
            severity="P3",
        )
    )
    request = receiver.only
    assert (request.method, request.path) == ("POST", "/rest/api/2/issue")
    expected = base64.b64encode(b"ops@example.com:tok3n").decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.json == {
        "fields": {
            "project": {"key": "OPS"},
            "summary": "[P3] #4 Docs stale",
            "description": "firebell incident #4",
            "issuetype": {"name": "Task"},
            "priority": {"name": "Low"},
        }
    }


def test_jira_failures_map_to_retry_or_not_and_hide_the_token(receiver: Receiver) -> None:
    channel = JiraChannel(receiver.url, "ops@example.com", "tok3n")
    receiver.script(
        "/rest/api/2/issue", Answer(400, {"errors": {"project": "tok3n?"}}), Answer(503, b"busy")
    )
    with pytest.raises(DeliveryError) as bad:
        channel.send(outgoing("NOPE", severity="P2"))
    assert not bad.value.transient and "tok3n" not in str(bad.value)
    with pytest.raises(DeliveryError) as busy:
        channel.send(outgoing("OPS", severity="P2"))
    assert busy.value.transient
