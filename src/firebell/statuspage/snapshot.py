"""Built for an outage's crowd: every public document is rendered once per change and
served from memory with an ETag, never per request.

A request looks at the database at most once per `check_every` seconds, and then only
for a one-row `signature` (the newest timeline event, the newest maintenance change, the
minute); the documents are rebuilt only when it moved. Several processes on PostgreSQL
each keep their own copy and see each other's changes through the same signature.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.playbook.schema import Playbook
from firebell.statuspage import html, public_json, state
from firebell.store.models import PlaybookVersion

CACHE_CONTROL = "public, max-age=5"


HTML_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    b"base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Document:
    """A rendered document with its response headers, built once per snapshot."""

    body: bytes
    content_type: str
    etag: str
    headers_304: tuple[tuple[bytes, bytes], ...]
    headers_200: tuple[tuple[bytes, bytes], ...]


def document(body: bytes, content_type: str) -> Document:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common: tuple[tuple[bytes, bytes], ...] = (
        (b"etag", etag.encode()),
        (b"cache-control", CACHE_CONTROL.encode()),
        (b"access-control-allow-origin", b"*"),
        (b"x-content-type-options", b"nosniff"),
    )
    full: tuple[tuple[bytes, bytes], ...] = (
        *common,
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    )
    if content_type.startswith("text/html"):
        full = (*full, (b"content-security-policy", HTML_POLICY))
    return Document(body, content_type, etag, common, full)


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


class Snapshots:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        playbook: Callable[[], Playbook],
        fallback_url: str,
        check_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.fallback_url = fallback_url
        self.check_every = check_every
        self.monotonic = monotonic
        self.builds = 0
        self._docs: dict[str, Document] = {}
        self._signature: tuple[object, ...] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._checked = float("-inf")

    def fresh(self) -> bool:
        """True when the cached documents may be served without looking at the database."""
        return bool(self._docs) and self.monotonic() - self._checked < self.check_every

    def get(self, path: str) -> Document | None:
        """The document at `path`, refreshing first if due (blocking: call from a thread
        when not `fresh()`)."""
        if not self.fresh():
            self.refresh()
        return self._docs.get(path)

    def cached(self, path: str) -> Document | None:
        return self._docs.get(path)

    def refresh(self) -> None:
        if not self._lock.acquire(blocking=not self._docs):
            return  # someone else is refreshing; serve what we have
        try:
            now = self.clock.now()
            with self.sessions() as session:
                sig = (*state.signature(session), now.replace(second=0, microsecond=0))
                if sig != self._signature or not self._docs:
                    self._docs = self._build(session, now)
                    self._signature = sig
                    self.builds += 1
            self._checked = self.monotonic()
        finally:
            self._lock.release()

    def _build(self, session: Session, now: datetime) -> dict[str, Document]:
        playbook = self.playbook()
        page = playbook.status_page
        title = page.title or playbook.organization.name
        url = page.public_url or playbook.organization.status_page_url or self.fallback_url
        created = session.execute(select(func.min(PlaybookVersion.first_loaded_at))).scalar()
        info = public_json.PageInfo(title, url, playbook.organization.timezone, created or now)
        public = state.load(session, playbook, now)
        view = public_json.make_view(info, page, now, public.incidents, public.windows)
        docs = {
            path: document(json.dumps(body, separators=(",", ":")).encode(), "application/json")
            for path, body in public_json.documents(view).items()
        }
        docs["/status"] = document(
            html.render_page(view, title, "").encode(), "text/html; charset=utf-8"
        )
        atom, rss = html.feeds(view, title, url)
        docs["/history.atom"] = document(atom, "application/atom+xml; charset=utf-8")
        docs["/history.rss"] = document(rss, "application/rss+xml; charset=utf-8")
        return docs
