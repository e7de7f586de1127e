"""Who may see a private (security) incident: the one rule every surface uses.

A private incident is visible only to its **members** and to admins. Its members are:

- the person who declared it (`created_by`), its commander, who acknowledged it;
- everyone who holds or held one of its war-room roles, every task assignee, and
  everyone firebell paged or messaged about it (they must be able to acknowledge);
- the security role: the people the playbook's security escalation policy reaches
  (`escalation.security_policy`: its persons, and the members and leads of its teams).

A caller is known by its name and, for a console user linked to a playbook person, that
person too (`Principal.names`): being paged as that person makes the user a member.

To anyone else a private incident does not exist: a 404 for one incident, absent from
lists and counts, timelines, alerts, comms, chat commands and hand-off notes.

How to use it (API, CLI, web console, status page, chat alike):

- one incident: `can_see(principal, incident, members)`, the pure decision; in storage,
  `require_visible(session, playbook, incident, number, principal)` loads the members and
  raises `NotFound` (so a private incident's existence does not leak);
- lists and counts: `.where(visible_clause(principal, security_people(playbook)))` on a
  query of `Incident`; rows of other tables (alerts, messages…) join `Incident` first;
- anything shown to everyone (hand-off notes, a public status page): `public_only()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import ColumnElement, CompoundSelect, case, or_, select, true, union
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from firebell.auth.principal import Principal
from firebell.errors import NotFound
from firebell.playbook.schema import Playbook
from firebell.store.models import Incident, Message, RoleAssignment, Task


class IncidentLike(Protocol):
    """What the decision reads of an incident (an `Incident` row has it all)."""

    @property
    def private(self) -> bool: ...
    @property
    def created_by(self) -> str: ...
    @property
    def commander(self) -> str | None: ...
    @property
    def acknowledged_by(self) -> str | None: ...


# --- the pure core ------------------------------------------------------------------------


def security_people(playbook: Playbook) -> frozenset[str]:
    """The security role: whom the security escalation policy reaches, by person id."""
    policy_id = playbook.escalation.security_policy
    policy = next((p for p in playbook.escalation_policies if p.id == policy_id), None)
    if policy is None:
        return frozenset()
    teams = {t.id: t for t in playbook.teams}
    people: set[str] = set()
    for level in policy.levels:
        for target in level.targets:
            if target.type == "person":
                people.add(target.id)
            elif target.type == "team" and target.id in teams:
                team = teams[target.id]
                people.update(team.members)
                if team.lead:
                    people.add(team.lead)
    return frozenset(people)


def members(
    incident: IncidentLike,
    involved: Iterable[str] = (),
    assignees: Iterable[str] = (),
    security: Iterable[str] = (),
) -> frozenset[str]:
    """Everyone who belongs to the incident (see the module docstring): `involved` are
    role holders and people paged, `assignees` task assignees."""
    own = {incident.created_by, incident.commander, incident.acknowledged_by}
    names = {n for n in own if n} | set(involved) | set(assignees) | set(security)
    return frozenset(names)


def can_see(principal: Principal, incident: IncidentLike, incident_members: Iterable[str]) -> bool:
    """A public incident: anyone with a token. A private one: admins and members."""
    if not incident.private or principal.sees_private:
        return True
    return not principal.names.isdisjoint(incident_members)


# --- storage ----------------------------------------------------------------------------


def load_members(session: Session, incident: Incident, playbook: Playbook) -> frozenset[str]:
    holders = session.scalars(
        select(RoleAssignment.person).where(RoleAssignment.incident_id == incident.id)
    )
    assignees = session.scalars(select(Task.assignee).where(Task.incident_id == incident.id))
    paged = session.scalars(
        select(Message.person).where(
            Message.incident_id == incident.id, Message.person.is_not(None)
        )
    )
    people = [*holders, *assignees, *(p for p in paged if p)]
    return members(incident, people, (), security_people(playbook))


def may_see(session: Session, playbook: Playbook, incident: Incident, principal: Principal) -> bool:
    """`can_see` with the members loaded (only when it matters: a private incident, a
    principal who does not see every one)."""
    return (
        not incident.private
        or principal.sees_private
        or can_see(principal, incident, load_members(session, incident, playbook))
    )


def require_visible(
    session: Session,
    playbook: Playbook,
    incident: Incident | None,
    number: int,
    principal: Principal,
) -> Incident:
    """The incident, or NotFound if it does not exist *or* the principal may not see it."""
    if incident is not None and may_see(session, playbook, incident, principal):
        return incident
    raise NotFound(f"incident #{number} does not exist")


def visible_clause(principal: Principal, security: frozenset[str]) -> ColumnElement[bool]:
    """SQL for `can_see` over `Incident` rows: use it in every list and count.

    Written as "public, or id IN (the incidents the principal is a member of)", the
    member set being one uncorrelated query: a count then reads only `private` and the row
    id, which the `ix_incidents_private` index holds, instead of every incident's row plus
    three correlated lookups each (20,000 incidents: ~100 ms → a few ms on SQLite)."""
    if principal.sees_private:
        return true()
    if not principal.names.isdisjoint(security):
        return true()
    names = sorted(principal.names)

    def named(column: QueryableAttribute[Any]) -> ColumnElement[bool]:
        return column == names[0] if len(names) == 1 else column.in_(names)

    # Every table aliased and nothing correlated, so the clause also filters a query *of*
    # messages, tasks or role assignments joined to their incident.
    incident, role, task, message = (
        aliased(Incident),
        aliased(RoleAssignment),
        aliased(Task),
        aliased(Message),
    )
    member_of: CompoundSelect[tuple[int]] = union(
        select(incident.id)
        .where(
            incident.private.is_(True),
            or_(
                named(incident.created_by),
                named(incident.commander),
                named(incident.acknowledged_by),
            ),
        )
        .correlate(None),
        select(role.incident_id).where(named(role.person)).correlate(None),
        select(task.incident_id).where(named(task.assignee)).correlate(None),
        select(message.incident_id)
        .where(named(message.person), message.incident_id.is_not(None))
        .correlate(None),
    )
    # A CASE, not an OR: with an OR, SQLite turns the condition into an index union over
    # the public rows, so a newest-first page sorts all of them instead of stopping at
    # its limit; a CASE is evaluated per row (public rows never reach the IN).
    return case((Incident.private.is_(False), true()), else_=Incident.id.in_(member_of))


def public_only() -> ColumnElement[bool]:
    """For what everyone sees (hand-off notes, public pages): no private incident."""
    return Incident.private.is_(False)
