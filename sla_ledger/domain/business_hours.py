"""Business hours: weekly opening hours in an IANA time zone, minus holidays.

An instant is *open* when its local wall-clock time, in the zone, falls on a
day that is not a holiday and within one of that weekday's opening hours. So
an opening that spans a DST change has the hours the clocks really show: a
skipped hour is never open, a repeated hour is open twice. Elapsed business
time is the real time (integer microseconds) spent open.

The arithmetic works on segments of constant UTC offset: in one, local time is
UTC plus the offset, so the open instants are the open wall-clock intervals
shifted back by it. Offsets are sampled every hour and every change is located
to the microsecond by bisection (no IANA zone changes its offset twice within
an hour).
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.time import from_us, zone
from sla_ledger.domain.values import ValueObject

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SEARCH_DAYS = 366 * 10  # how far ``add`` looks for open time before giving up


def _minutes(text: str) -> int:
    match = _CLOCK.match(text)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"{text!r} is not a time of day: expected HH:MM from 00:00 to 24:00")
    return int(match.group(1)) * 60 + int(match.group(2))


class OpeningHours(ValueObject):
    """Open from ``opens`` to ``closes`` (local ``HH:MM``; ``24:00`` is midnight) on ``days``."""

    days: tuple[Weekday, ...] = Field(min_length=1)
    opens: str = Field(json_schema_extra={"pattern": _CLOCK.pattern})
    closes: str = Field(json_schema_extra={"pattern": _CLOCK.pattern})

    @field_validator("opens", "closes")
    @classmethod
    def _time(cls, value: str) -> str:
        _minutes(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> OpeningHours:
        if _minutes(self.opens) >= _minutes(self.closes):
            raise ValueError(f"opening hours {self.opens}-{self.closes} are empty: opens < closes")
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"days {list(self.days)} name a weekday twice")
        return self


class BusinessHours(ValueObject):
    """Weekly opening hours in ``time_zone``, closed on the local dates in ``holidays``."""

    time_zone: str
    hours: tuple[OpeningHours, ...] = Field(min_length=1)
    holidays: tuple[date, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _sorted(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    def open_intervals(self, lo: int, hi: int) -> list[iv.Interval]:
        """The open instants within ``[lo, hi)``, as a sorted set of intervals."""
        return open_intervals(_week_of(self), self._holiday_days(), self.time_zone, lo, hi)

    def elapsed(self, start: int, end: int) -> int:
        """Business microseconds from ``start`` to ``end`` (0 when ``end <= start``)."""
        return iv.total(self.open_intervals(start, end)) if end > start else 0

    def add(self, start: int, business_us: int) -> int:
        """The first instant by which ``business_us`` of business time have elapsed after
        ``start``: ``elapsed(start, add(start, n)) == n``, and no earlier instant gives n."""
        if business_us <= 0:
            return start
        week, holidays = _week_of(self), self._holiday_days()
        lo, left = start, business_us
        for _ in range(_SEARCH_DAYS // 7):
            hi = lo + 7 * DAY_US
            for a, b in open_intervals(week, holidays, self.time_zone, lo, hi):
                if b - a >= left:
                    return a + left
                left -= b - a
            lo = hi
        raise ValueError(f"no {business_us} us of business time within ten years of {start}")

    def _holiday_days(self) -> frozenset[int]:
        return _holiday_days(self.holidays)


@lru_cache(maxsize=256)
def _holiday_days(holidays: tuple[date, ...]) -> frozenset[int]:
    return frozenset(d.toordinal() - _EPOCH_ORDINAL for d in holidays)


Week = tuple[tuple[tuple[int, int], ...], ...]
"""Per weekday (Monday first), the open wall-clock intervals of a day, in microseconds."""


@lru_cache(maxsize=256)
def _week(hours: tuple[OpeningHours, ...]) -> Week:
    days: list[list[iv.Interval]] = [[] for _ in WEEKDAYS]
    for opening in hours:
        span = (_minutes(opening.opens) * MINUTE_US, _minutes(opening.closes) * MINUTE_US)
        for day in opening.days:
            days[WEEKDAYS.index(day)].append(span)
    return tuple(tuple(iv.union(day)) for day in days)


def _week_of(hours: BusinessHours) -> Week:
    return _week(hours.hours)


def open_intervals(
    week: Week, holidays: frozenset[int], zone_name: str, lo: int, hi: int
) -> list[iv.Interval]:
    """The instants in ``[lo, hi)`` whose local time is open (see the module's doc)."""
    out: list[iv.Interval] = []
    for u0, u1, offset in offset_segments(zone_name, lo, hi):
        wall = _wall_open(week, holidays, u0 + offset, u1 + offset)
        out.extend((a - offset, b - offset) for a, b in wall)
    return iv.union(out)


def _wall_open(week: Week, holidays: frozenset[int], lo: int, hi: int) -> list[iv.Interval]:
    """Open wall-clock intervals (naive local microseconds since 1970-01-01) in ``[lo, hi)``."""
    out: list[iv.Interval] = []
    for day in range(lo // DAY_US, (hi - 1) // DAY_US + 1):
        if day in holidays:
            continue
        base = day * DAY_US
        for a, b in week[(day + 3) % 7]:  # 1970-01-01 was a Thursday
            start, end = max(base + a, lo), min(base + b, hi)
            if start < end:
                out.append((start, end))
    return out


def offset_segments(zone_name: str, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """``(start, end, utc_offset)`` covering ``[lo, hi)``: the zone's offset is constant in each."""
    out: list[tuple[int, int, int]] = []
    for day in range(lo // DAY_US, (hi - 1) // DAY_US + 1):
        for start, end, offset in _day_segments(zone_name, day):
            start, end = max(start, lo), min(end, hi)
            if start >= end:
                continue
            if out and out[-1][2] == offset and out[-1][1] == start:
                out[-1] = (out[-1][0], end, offset)
            else:
                out.append((start, end, offset))
    return out


@lru_cache(maxsize=65_536)
def _day_segments(zone_name: str, day: int) -> tuple[tuple[int, int, int], ...]:
    """The constant-offset segments of one UTC day."""
    lo = day * DAY_US
    samples = [(t, _offset(zone_name, t)) for t in range(lo, lo + DAY_US + 1, HOUR_US)]
    changes = [samples[0]]
    for (a, before), (b, after) in itertools.pairwise(samples):
        if after != before:
            at = _transition(zone_name, a, b)
            if at < lo + DAY_US:
                changes.append((at, _offset(zone_name, at)))
    ends = [at for at, _ in changes[1:]] + [lo + DAY_US]
    return tuple((at, end, offset) for (at, offset), end in zip(changes, ends, strict=True))


def _transition(zone_name: str, a: int, b: int) -> int:
    """The first instant in ``(a, b]`` with ``b``'s offset (one change between them)."""
    target = _offset(zone_name, b)
    while b - a > 1:
        mid = (a + b) // 2
        if _offset(zone_name, mid) == target:
            b = mid
        else:
            a = mid
    return b


def _offset(zone_name: str, instant: int) -> int:
    offset = from_us(instant).astimezone(zone(zone_name)).utcoffset()
    assert offset is not None
    return offset // timedelta(microseconds=1)
