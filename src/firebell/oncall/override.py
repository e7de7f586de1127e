"""Overrides: resolving overlaps so the latest-created override wins on the overlap only."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime

from .models import Override, require_aware

__all__ = ["effective_overrides", "override_at", "override_rank"]


def override_rank(override: Override) -> tuple[datetime, str]:
    """Precedence key: later ``created_at`` wins; ``id`` breaks exact ties deterministically."""
    return (override.created_at, override.id)


def override_at(overrides: Iterable[Override], instant: datetime) -> Override | None:
    """The override in force at ``instant``: the latest-created one covering it."""
    instant = require_aware(instant, "instant")
    covering = [o for o in overrides if o.start <= instant < o.end]
    return max(covering, key=override_rank) if covering else None


def effective_overrides(
    overrides: Iterable[Override], since: datetime, until: datetime
) -> list[tuple[datetime, datetime, Override]]:
    """Disjoint pieces (start, end, winning override) of [since, until) covered by overrides.

    An older override keeps applying outside a newer one's span, so one override may
    yield several pieces.
    """
    since, until = require_aware(since, "since"), require_aware(until, "until")
    relevant = [o for o in overrides if o.start < until and o.end > since]
    cuts = sorted(
        {since, until} | {t for o in relevant for t in (o.start, o.end) if since < t < until}
    )
    pieces: list[tuple[datetime, datetime, Override]] = []
    for start, end in itertools.pairwise(cuts):
        winner = override_at(relevant, start)
        if winner is None:
            continue
        if pieces and pieces[-1][2] is winner and pieces[-1][1] == start:
            pieces[-1] = (pieces[-1][0], end, winner)
        else:
            pieces.append((start, end, winner))
    return pieces
