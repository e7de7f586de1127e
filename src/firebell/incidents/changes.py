"""Has anything this person may see changed? The incidents list's live stream asks this
a few times a second, so it is two small queries, not a re-read of the list.

Every change to an incident writes a timeline event (append-only, ids increase), so the
highest event id is a change counter. The stream keeps the counter it last saw and:

1. reads the highest id overall (the primary key's index: cheap);
2. only when that moved, asks whether any event in (seen, highest] belongs to an incident
   the person may see (`visible_clause`: the same rule as every list).

A change to a private incident the person may not see moves step 1 but never step 2, so
nothing is sent and its timing does not leak either.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from firebell.auth.principal import Principal
from firebell.incidents.service import IncidentService
from firebell.store.models import Incident, TimelineEvent


def highest_event(session: Session) -> int:
    return int(session.scalar(select(func.max(TimelineEvent.id))) or 0)


def visible_change(
    session: Session,
    incidents: IncidentService,
    actor: Principal,
    after: int,
    upto: int | None = None,
) -> int | None:
    """The highest event id in (after, upto] on an incident `actor` may see, or None."""
    query = (
        select(func.max(TimelineEvent.id))
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(TimelineEvent.id > after, incidents.visible_clause(actor))
    )
    if upto is not None:
        query = query.where(TimelineEvent.id <= upto)
    found = session.scalar(query)
    return int(found) if found is not None else None


def latest_visible(
    sessions: sessionmaker[Session], incidents: IncidentService, actor: Principal
) -> int:
    """Where a list page's live stream starts: the newest event `actor` may see."""
    with sessions() as session:
        return visible_change(session, incidents, actor, 0) or 0
