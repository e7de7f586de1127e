"""Tables of the learning part: post-mortems and action items (migration 0014)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.models import Base, BigId


class Postmortem(Base):
    """One incident's post-mortem. `state`: draft -> in_review -> published.

    `reviewers` are the playbook's reviewer roles that apply to the incident's severity;
    `signoffs` maps a reviewer role to who signed it and when. `revision` grows with
    every change, so an edit made on an old copy is refused (409) instead of lost.
    """

    __tablename__ = "postmortems"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    public_summary: Mapped[str | None] = mapped_column(Text)
    reviewers: Mapped[list[str]] = mapped_column(JSON, default=list)
    signoffs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    meeting_at: Mapped[datetime | None]
    meeting_minutes: Mapped[int | None] = mapped_column(Integer)
    meeting_invitees: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_attended: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_postmortems_due_at", "due_at"),)


class ActionItem(Base):
    """Follow-up work from an incident: prevent / detect / respond."""

    __tablename__ = "action_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(200), index=True)
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    priority: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    ticket_key: Mapped[str | None] = mapped_column(String(64))
    ticket_status: Mapped[str | None] = mapped_column(String(64))
    ticket_checked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_action_items_status_due", "status", "due_at"),)
