"""Tables. Every time-based piece of work and every message lives here, not in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from firebell.store.types import UTCDateTime

# BIGINT on PostgreSQL, but INTEGER on SQLite so the key is the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject", name="uq_users_sso"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    # console sign-in (see firebell.web.accounts)
    person: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    setup_digest: Mapped[str | None] = mapped_column(String(64))
    setup_expires_at: Mapped[datetime | None]
    # single sign-on: the OpenID Connect identity (issuer + subject) this user signed in as
    sso_issuer: Mapped[str | None] = mapped_column(String(500))
    sso_subject: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    """A bearer token. Only a SHA-256 digest is stored: the token is 256 random bits, so a
    slow password hash would add nothing but latency to every request."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # Recorded at most once a minute per token (a write on every request would cost more).
    last_used_at: Mapped[datetime | None]


class PlaybookVersion(Base):
    __tablename__ = "playbook_versions"
    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(1000))
    first_loaded_at: Mapped[datetime]


class Incident(Base):
    __tablename__ = "incidents"
    # The primary key is the human incident number (#42).
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(20))
    service: Mapped[str | None] = mapped_column(String(64))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # A drill's scenario and the people it may reach (nobody else is paged or told).
    drill_scenario: Mapped[str | None] = mapped_column(String(64), default=None)
    drill_participants: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    commander: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    playbook_version: Mapped[str] = mapped_column(String(80))
    impact_started_at: Mapped[datetime | None]
    detected_at: Mapped[datetime | None]
    declared_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    mitigated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # What people said about it, for messages: impact, actions, root cause, eta...
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_incidents_status", "status"),
        Index("ix_incidents_declared_at", "declared_at"),
        Index("ix_incidents_service", "service"),
        # visibility: counts read `private` and the id from here (see visible_clause)
        Index("ix_incidents_private", "private"),
    )


class TimelineEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "timeline_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- paging engine ---------------------------------------------------------------------


class Timer(Base):
    """A durable "do this at due_at". `generation` fences stale timers: an escalation
    bumps its generation when it stops or restarts, and a timer from an older generation
    fires as a no-op."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_timers_pending_due", "status", "due_at"),)


class Message(Base):
    """The outbox: one notification to one address, written with the decision behind it.

    status: pending -> sending -> sent | failed, or pending -> cancelled. A row is leased
    (`sending`, `leased_by`) in a batch; `send_started_at` is committed immediately before
    its network call. A row left in `sending` past its lease whose send had started (a
    crash mid-send) becomes `possibly_sent`: never dropped silently and never blindly sent
    again. One whose send had not started goes back to `pending` and is sent.
    priority: 0 for high-urgency pages, 1 for everything else (claimed in that order).
    """

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    person: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    send_started_at: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __table_args__ = (
        Index("ix_messages_status_not_before", "status", "not_before"),
        Index("ix_messages_person", "person"),  # the private incidents one was paged for
    )


class Escalation(Base):
    """The paging state of one incident, with the policy snapshotted when paging began."""

    __tablename__ = "escalations"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    urgency: Mapped[str] = mapped_column(String(8))
    level: Mapped[int] = mapped_column(Integer, default=0)
    pass_number: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RoundRobinPosition(Base):
    """Where round-robin stands for one level of one policy; survives restarts."""

    __tablename__ = "round_robin_positions"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(64), index=True)
    person: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class HandoffNote(Base):
    __tablename__ = "handoff_notes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(64))
    shift_start: Mapped[datetime]
    outgoing: Mapped[str | None] = mapped_column(String(64))
    incoming: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


# --- alert intake ------------------------------------------------------------------------


class Alert(Base):
    """One signal from a source, deduplicated by (integration, dedup key, fingerprint).

    An Alertmanager group is one dedup key with one row per alert fingerprint; other
    formats have an empty fingerprint. Only one *open* row exists per identity: after a
    resolve, the same key opens a new alert (PagerDuty's semantics).
    """

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16))  # triggered | acknowledged | resolved
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(4))
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(255))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    silenced_by: Mapped[str | None] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_alerts_identity", "integration", "dedup_key", "fingerprint", "status"),
        Index("ix_alerts_status_service", "status", "service"),
        # At most one open alert per identity, whatever the code above it does.
        Index(
            "ux_alerts_open_identity",
            "integration",
            "dedup_key",
            "fingerprint",
            unique=True,
            sqlite_where=text("status <> 'resolved'"),
            postgresql_where=text("status <> 'resolved'"),
        ),
    )


class AlertGroup(Base):
    """Which incident a group of alerts (by the integration's grouping choice) opened.

    The latest row of an (integration, group_key) is the group's incident: new alerts of
    the group attach to it while it is open, reopen it within the flapping window, or
    open a new incident linked to it (see `intake.grouping`)."""

    __tablename__ = "alert_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    opened_at: Mapped[datetime]

    __table_args__ = (Index("ix_alert_groups_key", "group_key", "id"),)


class IncidentLink(Base):
    """Two incidents that belong together: another group on the same service, or a
    re-fire of a resolved incident. Stored once, from the newer to the older."""

    __tablename__ = "incident_links"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    linked_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # same_service | refire
    created_at: Mapped[datetime]


class Heartbeat(Base):
    """A heartbeat monitor's state; `due_at` is its timer (NULL until the first ping)."""

    __tablename__ = "heartbeats"
    integration: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ping_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    alert_open: Mapped[bool] = mapped_column(Boolean, default=False)


class Silence(Base):
    """Alerts matching these label matchers (and service, if set) are recorded but page
    nobody while the silence is active. A maintenance window is a silence on a service."""

    __tablename__ = "silences"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # silence | maintenance
    service: Mapped[str | None] = mapped_column(String(64))
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


# --- communications ------------------------------------------------------------------------


class PublicUpdate(Base):
    """A status-page update of an incident, rendered from the playbook's status_page
    variants, kept for the public status page (Statuspage's status words)."""

    __tablename__ = "public_updates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


# --- incident command ----------------------------------------------------------------------


class RoleAssignment(Base):
    """Who holds a war-room role; a hand-over ends one row and starts the next."""

    __tablename__ = "role_assignments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(200), index=True)
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[str] = mapped_column(String(200))
    released_at: Mapped[datetime | None]


class Task(Base):
    """'Person X, please do Y. Confirm?': assigned -> acknowledged -> done."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    assignee: Mapped[str] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class WarRoom(Base):
    """An incident's war room. `state`: pending -> opening -> open (| failed), closed.
    The chat calls happen outside any transaction; this row is their durable intent."""

    __tablename__ = "war_rooms"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    channel_name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(250))
    bridge_url: Mapped[str | None] = mapped_column(String(500))
    invitees: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]


class ChatRequest(Base):
    """Signatures of chat requests already handled: a replayed request is refused."""

    __tablename__ = "chat_requests"
    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


# --- web console -----------------------------------------------------------------------------


class WebSession(Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 digest is
    stored, with the session's CSRF token. Revoked or expired rows sign nobody in."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SsoLogin(Base):
    """A single sign-on attempt between the redirect to the identity provider and its
    return: the browser holds a random secret in a cookie (only its digest is here), so the
    state, nonce and PKCE verifier are bound to that browser. Used once, then deleted."""

    __tablename__ = "sso_logins"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    verifier: Mapped[str] = mapped_column(String(128))
    next: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
