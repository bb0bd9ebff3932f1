"""A deliberately naive model of business hours: one UTC minute at a time.

Written from the rule alone (docs/support.md), independently of
``sla_ledger.domain.business_hours``: a minute is open when the local
wall-clock time of its first instant, by ``zoneinfo``, falls on a weekday's
opening hours and its local date is not a holiday. Everything a test gives it
is a whole number of minutes, and every offset change of the zones it is used
with falls on a whole minute, so counting minutes is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Opening:
    days: frozenset[str]
    opens: int  # minutes after local midnight
    closes: int  # 1440 is the next midnight


@dataclass(frozen=True)
class Hours:
    zone: str
    openings: tuple[Opening, ...]
    holidays: frozenset[date]

    def is_open(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.zone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        day = DAYS[local.weekday()]
        return any(day in o.days and o.opens <= minute < o.closes for o in self.openings)


def open_minutes(hours: Hours, start: datetime, end: datetime) -> int:
    """How many of the minutes from ``start`` to ``end`` are open."""
    count, t = 0, start
    while t < end:
        count += hours.is_open(t)
        t += MINUTE
    return count


def after_open_minutes(hours: Hours, start: datetime, minutes: int, limit: int) -> datetime | None:
    """The end of the ``minutes``-th open minute from ``start``; None past ``limit`` minutes."""
    if minutes == 0:
        return start
    t = start
    for _ in range(limit):
        if hours.is_open(t):
            minutes -= 1
            if minutes == 0:
                return t + MINUTE
        t += MINUTE
    return None


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)
