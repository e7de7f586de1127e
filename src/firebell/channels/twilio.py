"""Twilio (or a Twilio-compatible API) SMS and voice calls; the address is a phone number.

`POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` form `To`, `From`, `Body`
(trimmed to Twilio's 1600 characters) and `…/Calls.json` form `To`, `From`, `Twiml` (the
message said twice). HTTP basic auth `AccountSid:AuthToken`; Twilio answers `201` with a JSON
resource whose `sid` is logged. Twilio's error answers (`{"code", "message"}`) are kept in the
failure reason; the auth token never is.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote
from xml.sax.saxutils import escape

from firebell.channels import _http
from firebell.channels.base import Outgoing

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.twilio.com"
SMS_MAX = 1600  # Twilio refuses longer bodies
TWIML_MAX = 4000  # Twilio's limit for the Twiml parameter
SAY_MAX = 1500  # characters spoken (each of the two times), before XML escaping
# Characters XML 1.0 does not allow at all (escaping cannot save them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def sms_body(subject: str, body: str) -> str:
    text = "\n".join(part for part in (subject.strip(), body.strip()) if part)
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 3] + "..."


def twiml(text: str) -> str:
    """`<Response><Say>…</Say><Pause/><Say>…</Say></Response>`: said twice, XML-escaped,
    within Twilio's 4000 characters."""
    spoken = " ".join(_NOT_XML.sub(" ", text).split())[:SAY_MAX]
    while True:
        said = f"<Say>{escape(spoken)}</Say>"
        document = f'<Response>{said}<Pause length="1"/>{said}</Response>'
        if len(document) <= TWIML_MAX:
            return document
        spoken = spoken[: len(spoken) - 100]


def voice_text(subject: str, body: str) -> str:
    parts = [p.strip().rstrip(".") for p in (subject, body) if p.strip()]
    return ". ".join(parts) + "." if parts else "firebell notification."


class _Twilio:
    resource = ""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
    ) -> None:
        if not (account_sid and auth_token and from_number):
            raise ValueError("Twilio needs an account SID, an auth token and a from number")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_sid={self.account_sid!r}, base_url={self.base_url!r})"
        )

    def _create(self, message: Outgoing, fields: dict[str, str]) -> None:
        url = (
            f"{self.base_url}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}"
            f"/{self.resource}.json"
        )
        response = _http.post(
            url,
            timeout=self.timeout,
            secrets=[self._auth_token],
            auth=(self.account_sid, self._auth_token),
            form={"To": message.address, "From": self.from_number, **fields},
        )
        try:
            sid = response.json().get("sid")
        except (ValueError, UnicodeDecodeError, AttributeError):
            sid = None
        # Accepted either way: retrying an accepted request could page the person twice.
        log.debug("twilio %s for message %s: %s", self.resource, message.id, sid or "no sid")


class TwilioSmsChannel(_Twilio):
    method = "sms"
    resource = "Messages"

    def send(self, message: Outgoing) -> None:
        self._create(message, {"Body": sms_body(message.subject, message.body)})


class TwilioVoiceChannel(_Twilio):
    method = "voice"
    resource = "Calls"

    def send(self, message: Outgoing) -> None:
        self._create(message, {"Twiml": twiml(voice_text(message.subject, message.body))})
