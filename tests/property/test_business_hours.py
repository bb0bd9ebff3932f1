"""Business-hours arithmetic against a brute-force model, across DST changes and holidays.

``business_hours_model`` walks UTC minute by minute and asks ``zoneinfo`` for
each minute's local time; the ledger's arithmetic works on constant-offset
segments in integer microseconds. They must agree exactly, in zones with 30-
and 45-minute offsets, midnight changes and "negative" DST.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, note
from hypothesis import strategies as st

from sla_ledger.domain.business_hours import BusinessHours, OpeningHours
from sla_ledger.domain.time import from_us, to_us
from tests.property import business_hours_model as model
from tests.property.strategies import business_hours_cases

MINUTE_US = 60_000_000


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def both(case) -> tuple[BusinessHours, model.Hours]:
    zone, hours, holidays, _ = case
    ours = BusinessHours(
        time_zone=zone,
        hours=tuple(
            OpeningHours(days=tuple(sorted(days)), opens=_clock(a), closes=_clock(b))
            for days, a, b in hours
        ),
        holidays=holidays,
    )
    naive = model.Hours(
        zone, tuple(model.Opening(days, a, b) for days, a, b in hours), frozenset(holidays)
    )
    return ours, naive


@given(business_hours_cases(), st.integers(0, 4 * 1440))
def test_elapsed_business_time_is_what_counting_minutes_gives(case, minutes):
    ours, naive = both(case)
    start = case[3]
    end = start + timedelta(minutes=minutes)
    note(f"{ours!r}\nfrom {start} to {end}")
    expected = model.open_minutes(naive, start, end) * MINUTE_US
    assert ours.elapsed(to_us(start), to_us(end)) == expected


@given(business_hours_cases(), st.integers(0, 3000))
def test_the_instant_after_n_business_minutes_is_what_stepping_minutes_gives(case, wanted):
    ours, naive = both(case)
    start = case[3]
    weekly = model.open_minutes(naive, start, start + timedelta(days=7))
    minutes = min(wanted, 2 * weekly)  # keep the model's walk short for sparse hours
    note(f"{ours!r}\n{minutes} business minutes after {start}")
    expected = model.after_open_minutes(naive, start, minutes, limit=40 * 1440)
    if expected is None:  # holidays and sparse hours push it beyond the model's walk
        return
    assert from_us(ours.add(to_us(start), minutes * MINUTE_US)) == expected


@given(
    business_hours_cases(),
    st.integers(0, 3 * 86_400_000_000),
    st.integers(0, 3 * 86_400_000_000),
    st.integers(0, 2 * 86_400_000_000),
)
def test_elapsed_adds_up_and_add_inverts_it_to_the_microsecond(case, a, b, n):
    ours, _ = both(case)
    start = to_us(case[3]) + 7  # off the minute grid on purpose
    middle, end = start + min(a, b), start + max(a, b)
    assert ours.elapsed(start, end) == ours.elapsed(start, middle) + ours.elapsed(middle, end)
    n = min(n, 3 * ours.elapsed(start, start + 7 * 86_400_000_000))
    due = ours.add(start, n)
    assert ours.elapsed(start, due) == n
    if n:
        assert ours.elapsed(start, due - 1) < n, "the earliest such instant"
