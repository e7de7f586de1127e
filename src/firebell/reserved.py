"""Addresses nobody owns (pure).

The default playbook's contacts are placeholders: e-mail under `example.com` (RFC 2606),
links under `.invalid`, phone numbers in the 555-0100..0199 range kept for fiction. firebell
never delivers to them, nor to a person marked `example: true`: such a message is recorded
as `not_sent` with the reason, and `firebell doctor` lists the placeholders still present.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# RFC 2606 / RFC 6761 second-level and top-level names reserved for documentation.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid")
# A phone number: digits with the usual separators. North American 555-0100 through
# 555-0199 are reserved for fictional use.
_PHONE = re.compile(r"\+?[\d\s().-]{7,}")


def reserved_host(host: str) -> bool:
    host = host.strip().rstrip(".").lower()
    if not host:
        return False
    if any(host == d or host.endswith("." + d) for d in RESERVED_DOMAINS):
        return True
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS


def reserved_address(address: str) -> bool:
    """True for an e-mail address, URL or phone number that belongs to nobody."""
    text = address.strip()
    if "://" in text:
        url = text if text.split(":", 1)[0] in ("http", "https") else text.split(":", 1)[1]
        return reserved_host(urlsplit(url).hostname or "")
    if "@" in text and not text.startswith("@"):
        return reserved_host(text.rsplit("@", 1)[1].rstrip(">"))
    number = text.split(":", 1)[1] if text.startswith(("sms:", "tel:")) else text
    if _PHONE.fullmatch(number):
        digits = re.sub(r"\D", "", number)
        return len(digits) >= 7 and digits[-7:-2] == "55501"
    return False


def undeliverable(address: str, *, example: bool = False) -> str | None:
    """Why a message to `address` must not go out, or None when it may."""
    if example:
        return "an example contact (example: true in the playbook): replace it with a real one"
    if reserved_address(address):
        return f"'{address}' is a reserved example address that nobody owns"
    return None
