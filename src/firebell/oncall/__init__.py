"""On-call schedule core: rotations, layers, overrides, final schedule, exports.

A pure functional core: no database, network or clock reads. Every instant is passed
in as a timezone-aware ``datetime`` and every result is in UTC. DST rules are in
docs/oncall-dst.md.
"""

from .bounds import stretch_at
from .compensation import (
    CompensationPolicy,
    CompensationRow,
    compensation_csv,
    holiday_calendar,
    monthly_compensation,
    spans_by_user,
)
from .final_schedule import final_schedule, who_is_on_call
from .handoff import handoffs, handoffs_in
from .ical import person_to_ical, schedule_to_ical
from .localtime import add_months, resolve_local
from .models import (
    CalendarLength,
    FinalEntry,
    FinalSchedule,
    Handoff,
    Interval,
    Layer,
    OnCall,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    ShiftUnit,
    Source,
    TimeWindow,
    Weekday,
)
from .override import effective_overrides, override_at
from .restriction import active_intervals, is_active
from .rotation import handoff_instant, on_call_at, shift_at, shifts, staggered_rotation
from .turns import starved_members

__all__ = [
    "CalendarLength",
    "CompensationPolicy",
    "CompensationRow",
    "FinalEntry",
    "FinalSchedule",
    "Handoff",
    "Interval",
    "Layer",
    "OnCall",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "Shift",
    "ShiftUnit",
    "Source",
    "TimeWindow",
    "Weekday",
    "active_intervals",
    "add_months",
    "compensation_csv",
    "effective_overrides",
    "final_schedule",
    "handoff_instant",
    "handoffs",
    "handoffs_in",
    "holiday_calendar",
    "is_active",
    "monthly_compensation",
    "on_call_at",
    "override_at",
    "person_to_ical",
    "resolve_local",
    "schedule_to_ical",
    "shift_at",
    "shifts",
    "spans_by_user",
    "staggered_rotation",
    "starved_members",
    "stretch_at",
    "who_is_on_call",
]
