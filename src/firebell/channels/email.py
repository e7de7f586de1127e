"""Email over SMTP, with STARTTLS and authentication when configured.

A password is never sent in clear: with a username but without STARTTLS, sending is
refused (a permanent failure that says why) unless the settings explicitly allow it
(`FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH=true`, e.g. for a relay on the same host).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid

from firebell.channels.base import DeliveryError, Outgoing
from firebell.channels.headers import one_line

URL_HEADERS = default.clone(max_line_length=998)


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "firebell@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    allow_plaintext_auth: bool = False
    cafile: str | None = None  # a private CA for the relay's certificate

    @property
    def plaintext_auth_refused(self) -> bool:
        return bool(self.username) and not self.starttls and not self.allow_plaintext_auth


PLAINTEXT_REFUSED = (
    "SMTP: refusing to send the password without TLS; set FIREBELL_SMTP_STARTTLS=true, "
    "or FIREBELL_SMTP_ALLOW_PLAINTEXT_AUTH=true if the relay is trusted"
)


class EmailChannel:
    method = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> None:
        s = self.settings
        if s.plaintext_auth_refused:
            raise DeliveryError(PLAINTEXT_REFUSED, transient=False)
        headers = message.payload.get("headers", {})
        # URL headers (List-Unsubscribe) must not be folded into encoded words.
        email = EmailMessage(policy=URL_HEADERS) if headers else EmailMessage()
        email["From"] = s.sender
        email["To"] = one_line(message.address)
        email["Subject"] = one_line(message.subject)
        # A stable id lets a receiver spot a duplicate if a retry follows a lost reply.
        email["Message-ID"] = make_msgid(idstring=f"firebell-{message.id}")
        email["X-Firebell-Message"] = str(message.id)
        if message.incident_id is not None:
            email["X-Firebell-Incident"] = str(message.incident_id)
        for name, value in headers.items():
            email[name] = value  # e.g. List-Unsubscribe for status page subscribers
        email.set_content(message.body)
        for part in message.payload.get("attachments", ()):
            # e.g. a meeting invitation: {"filename", "content_type": "text/calendar", "text"}
            maintype, _, subtype = part["content_type"].partition("/")
            email.add_attachment(
                part["text"].encode(),
                maintype=maintype,
                subtype=subtype,
                filename=part["filename"],
                params=part.get("params", {}),
            )
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    # Verify the server's certificate: smtplib's default context does not,
                    # and an unverified TLS hands the password to whoever answers.
                    smtp.starttls(context=ssl.create_default_context(cafile=s.cafile))
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", transient=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP authentication failed: {exc.smtp_code}", transient=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            transient = 400 <= exc.smtp_code < 500
            raise DeliveryError(f"SMTP {exc.smtp_code}", transient=transient) from None
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}", transient=True) from None
