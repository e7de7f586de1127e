"""Email over SMTP, with STARTTLS and authentication when configured."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from firebell.channels.base import DeliveryError, Outgoing


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "firebell@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class EmailChannel:
    method = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> None:
        s = self.settings
        email = EmailMessage()
        email["From"] = s.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        # A stable id lets a receiver spot a duplicate if a retry follows a lost reply.
        email["Message-ID"] = make_msgid(idstring=f"firebell-{message.id}")
        email["X-Firebell-Message"] = str(message.id)
        if message.incident_id is not None:
            email["X-Firebell-Incident"] = str(message.incident_id)
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
                    smtp.starttls()
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
