"""The status page's tables (migration 0013): overrides, maintenance, subscribers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.models import Base, BigId


class ComponentOverride(Base):
    """A responder's word on one component for one incident; the latest row per
    (incident, component) wins. `operational` takes the component out of the incident."""

    __tablename__ = "component_overrides"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    component: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(200))


class Maintenance(Base):
    """A planned maintenance window. status: scheduled -> in_progress -> (verifying ->)
    completed, or cancelled. `updates` holds its public updates (Statuspage's
    incident_updates), oldest first; `notices` the template variants already sent."""

    __tablename__ = "maintenances"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    components: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notices: Mapped[list[str]] = mapped_column(JSON)
    silence_ids: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_maintenances_status_starts", "status", "starts_at"),)


class Subscriber(Base):
    """An e-mail address or webhook URL told about incidents and maintenance.

    status: pending (e-mail awaiting its confirmation link) -> active -> unsubscribed.
    `components` empty means every component. Confirmation and unsubscribe links carry
    an HMAC of the subscriber id (keyed from the master key): nothing secret is stored.
    """

    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook
    address: Mapped[str] = mapped_column(String(1000))
    components: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ux_subscribers_kind_address", "kind", "address", unique=True),)
