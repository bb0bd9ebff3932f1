"""Instants, durations and measurement months (SPEC R1, R2).

Inside the domain an instant is an ``int`` of microseconds since the Unix
epoch (UTC) and a duration is an ``int`` of microseconds: exact, cheap to
compare, and never a float.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla_ledger.exceptions import InvalidTerms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
SECOND_US = 1_000_000
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits, nothing after
# Evidence and terms name instants in [1970, 9998), months lie in [1900, 9998]: far
# enough from datetime's limits that a month's bounds, the next month and any time
# zone's offset stay computable.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (the caller checks awareness)."""
    return (instant - EPOCH) // ONE_US


EARLIEST_US = 0
LATEST_US = (datetime(LAST_YEAR, 1, 1, tzinfo=UTC) - EPOCH) // ONE_US


def from_us(instant_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=instant_us)


def duration_us(duration: timedelta) -> int:
    return duration // ONE_US


def is_aware(instant: datetime) -> bool:
    return instant.tzinfo is not None and instant.tzinfo.utcoffset(instant) is not None


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or ``InvalidTerms`` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise InvalidTerms(
            f"unknown time zone {name!r}: expected an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from None


def parse_month(month: str) -> tuple[int, int]:
    """``"2026-04"`` -> ``(2026, 4)``, or ``InvalidTerms`` naming the value."""
    given: object = month  # callers of the API may pass anything
    match = _MONTH.fullmatch(given) if isinstance(given, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidTerms(f"invalid month {month!r}: expected YYYY-MM, e.g. '2026-04'")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InvalidTerms(
            f"month {month!r} is out of range: expected a month from "
            f"{FIRST_YEAR}-01 to {LAST_YEAR}-12"
        )
    return int(match.group(1)), int(match.group(2))


def out_of_range(instant_us: int) -> str | None:
    """Why an instant lies outside the years evidence and terms may name (from 1970 to
    before 9998, UTC), to follow the value in a message; ``None`` if it lies inside."""
    if EARLIEST_US <= instant_us < LATEST_US:
        return None
    return (
        f"is out of range: expected an instant from {from_us(EARLIEST_US).isoformat()} "
        f"to before {from_us(LATEST_US).isoformat()}"
    )


def format_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(month: str) -> str:
    year, number = parse_month(month)
    return format_month(year + number // 12, number % 12 + 1)


@lru_cache(maxsize=4096)
def day_start_us(year: int, month: int, day: int, zone_name: str) -> int:
    """The first instant of a local day (R2: where DST skips or repeats midnight,
    the earliest instant whose local date is that day)."""
    tz = zone(zone_name)
    candidates = [
        to_us(datetime(year, month, day, tzinfo=tz, fold=fold).astimezone(UTC)) for fold in (0, 1)
    ]
    target = (year, month, day)
    exact = [u for u in candidates if _local_date(u, tz) == target and _is_midnight(u, tz)]
    if exact:
        return min(exact)
    # Midnight does not exist: the day begins at the transition, found by bisection
    # between an instant of the previous day and one of the day itself.
    lo = min(candidates) - 86_400 * SECOND_US
    hi = max(candidates) + 86_400 * SECOND_US
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _local_date(mid, tz) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _local_date(instant_us: int, tz: ZoneInfo) -> tuple[int, int, int]:
    local = from_us(instant_us).astimezone(tz)
    return local.year, local.month, local.day


def _is_midnight(instant_us: int, tz: ZoneInfo) -> bool:
    local = from_us(instant_us).astimezone(tz)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def month_bounds(month: str, zone_name: str) -> tuple[int, int]:
    """``[start, end)`` of a measurement month in microseconds (R2)."""
    year, number = parse_month(month)
    next_year, next_number = parse_month(next_month(month))
    return day_start_us(year, number, 1, zone_name), day_start_us(
        next_year, next_number, 1, zone_name
    )


def month_of(instant_us: int, zone_name: str) -> str:
    """The measurement month, in ``zone_name``, that contains an instant."""
    local = from_us(instant_us).astimezone(zone(zone_name))
    month = format_month(local.year, local.month)
    start, end = month_bounds(month, zone_name)
    if instant_us < start:
        year, number = local.year, local.month - 1
        return format_month(year - (number == 0), number or 12)
    if instant_us >= end:
        return next_month(month)
    return month


_NAIVE_EPOCH = datetime(1970, 1, 1)


_DAY_US = 86_400 * SECOND_US
_HOUR_MINUTE = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECONDS = tuple(f"{s:02d}" for s in range(60))


@lru_cache(maxsize=1024)
def _day_prefix(day: int) -> str:
    return (_NAIVE_EPOCH + timedelta(days=day)).isoformat()[:11]  # "YYYY-MM-DDT"


def format_instant(instant_us: int) -> str:
    """RFC 3339 in UTC with microseconds only when needed."""
    # Probe batches render millions of instants (export, log digest): no datetime per call.
    day, rest = divmod(instant_us, _DAY_US)
    seconds, micros = divmod(rest, SECOND_US)
    minute, second = divmod(seconds, 60)
    text = _day_prefix(day) + _HOUR_MINUTE[minute] + _SECONDS[second]
    return text + (f".{micros:06d}Z" if micros else "Z")


def format_duration(us: int) -> str:
    """A readable exact duration: ``1h 02m 03.5s``."""
    sign = "-" if us < 0 else ""
    us = abs(us)
    hours, rest = divmod(us, 3_600 * SECOND_US)
    minutes, rest = divmod(rest, 60 * SECOND_US)
    seconds, micros = divmod(rest, SECOND_US)
    sec = f"{seconds}" + (f".{micros:06d}".rstrip("0") if micros else "")
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {sec}s"
    if minutes:
        return f"{sign}{minutes}m {sec}s"
    return f"{sign}{sec}s"
