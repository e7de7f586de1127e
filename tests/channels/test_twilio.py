from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from channels._support import Answer, Receiver, outgoing
from firebell.channels.base import DeliveryError
from firebell.channels.twilio import TwilioSmsChannel, TwilioVoiceChannel, twiml

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "auth-token-sekrit"
FROM = "+15005550006"
TO = "+15551234567"


def created(kind: str) -> Answer:
    return Answer(201, {"sid": kind + "0123", "status": "queued"})


def check_auth_and_path(receiver: Receiver, resource: str) -> dict[str, str]:
    request = receiver.only
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{SID}/{resource}.json")
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return request.form


def test_sms_posts_to_from_body_with_basic_auth(receiver: Receiver) -> None:
    receiver.script(f"/2010-04-01/Accounts/{SID}/Messages.json", created("SM"))
    channel = TwilioSmsChannel(SID, TOKEN, FROM, base_url=receiver.url)
    channel.send(outgoing(TO, subject="[P1] Checkout down", body="Ack: reply or firebell ack 7"))
    assert check_auth_and_path(receiver, "Messages") == {
        "To": TO,
        "From": FROM,
        "Body": "[P1] Checkout down\nAck: reply or firebell ack 7",
    }


def test_sms_body_is_trimmed_to_1600_characters(receiver: Receiver) -> None:
    channel = TwilioSmsChannel(SID, TOKEN, FROM, base_url=receiver.url)
    channel.send(outgoing(TO, subject="S", body="é" * 3000))
    body = receiver.only.form["Body"]
    assert len(body) == 1600
    assert body.endswith("...")


def test_voice_posts_escaped_twiml_said_twice(receiver: Receiver) -> None:
    receiver.script(f"/2010-04-01/Accounts/{SID}/Calls.json", created("CA"))
    channel = TwilioVoiceChannel(SID, TOKEN, FROM, base_url=receiver.url)
    channel.send(outgoing(TO, subject="P1 <Checkout> & payments", body="Press nothing"))
    form = check_auth_and_path(receiver, "Calls")
    assert form["To"] == TO
    assert form["From"] == FROM
    said = "P1 &lt;Checkout&gt; &amp; payments. Press nothing."
    assert form["Twiml"] == (
        f'<Response><Say>{said}</Say><Pause length="1"/><Say>{said}</Say></Response>'
    )
    root = ET.fromstring(form["Twiml"])  # well-formed XML
    assert [e.text for e in root.iter("Say")] == ["P1 <Checkout> & payments. Press nothing."] * 2


def test_twiml_stays_within_twilio_limit_and_drops_invalid_xml_characters() -> None:
    document = twiml("&" * 5000 + "\x00\x07")
    assert len(document) <= 4000
    ET.fromstring(document)
    assert "\x00" not in twiml("a\x00b")


def test_twilio_error_answer_is_permanent_and_readable(receiver: Receiver) -> None:
    receiver.script(
        f"/2010-04-01/Accounts/{SID}/Messages.json",
        Answer(400, {"code": 21211, "message": "The 'To' number is not valid.", "status": 400}),
    )
    channel = TwilioSmsChannel(SID, TOKEN, FROM, base_url=receiver.url)
    with pytest.raises(DeliveryError) as caught:
        channel.send(outgoing("+1nope"))
    assert caught.value.transient is False
    assert str(caught.value) == "HTTP 400: code=21211 message=The 'To' number is not valid."


def test_auth_token_never_in_errors_or_repr(receiver: Receiver) -> None:
    receiver.script(
        f"/2010-04-01/Accounts/{SID}/Messages.json", Answer(401, {"message": f"bad {TOKEN}"})
    )
    channel = TwilioSmsChannel(SID, TOKEN, FROM, base_url=receiver.url)
    with pytest.raises(DeliveryError) as caught:
        channel.send(outgoing(TO))
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(channel)


def test_missing_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="Twilio needs"):
        TwilioSmsChannel(SID, "", FROM)
