"""When each integration last delivered something (for people checking their wiring)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.store.models import Alert, Heartbeat


def last_events(sessions: sessionmaker[Session]) -> dict[str, datetime]:
    """Integration id -> the last alert event or heartbeat ping received."""
    with sessions() as session:
        seen: dict[str, datetime] = dict(
            session.execute(
                select(Alert.integration, func.max(Alert.last_seen_at)).group_by(Alert.integration)
            ).all()
        )
        for integration, ping in session.execute(
            select(Heartbeat.integration, Heartbeat.last_ping_at).where(
                Heartbeat.last_ping_at.is_not(None)
            )
        ):
            if ping is not None and (integration not in seen or ping > seen[integration]):
                seen[integration] = ping
    return seen
