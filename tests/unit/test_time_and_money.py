from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla_ledger import InvalidTerms
from sla_ledger.domain.money import check_amount, round_half_up
from sla_ledger.domain.time import (
    day_start_us,
    format_duration,
    format_instant,
    from_us,
    month_bounds,
    month_of,
    next_month,
    parse_month,
    to_us,
)

HOUR = 3_600_000_000


def test_a_utc_month_is_its_calendar_length():
    start, end = month_bounds("2026-04", "UTC")
    assert from_us(start) == datetime(2026, 4, 1, tzinfo=UTC)
    assert end - start == 720 * HOUR


def test_a_month_with_a_spring_dst_change_has_743_hours():
    start, end = month_bounds("2026-03", "Europe/Berlin")
    assert from_us(start) == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert end - start == 743 * HOUR


def test_a_month_with_an_autumn_dst_change_has_745_hours():
    start, end = month_bounds("2026-10", "Europe/Berlin")
    assert end - start == 745 * HOUR


def test_where_dst_skips_midnight_the_day_starts_at_the_first_instant_that_exists():
    # Cuba springs forward at 00:00 -> 01:00 on 2026-03-08: the day begins at 01:00 CDT.
    assert from_us(day_start_us(2026, 3, 8, "America/Havana")) == datetime(
        2026, 3, 8, 5, tzinfo=UTC
    )


def test_where_dst_repeats_midnight_the_month_starts_at_the_first_one():
    # Cuba falls back at 01:00 -> 00:00 on 2026-11-01: midnight happens twice.
    start, end = month_bounds("2026-11", "America/Havana")
    assert from_us(start) == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert end - start == (30 * 24 + 1) * HOUR


def test_month_of_respects_the_contract_zone():
    instant = to_us(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Berlin
    assert month_of(instant, "UTC") == "2026-03"
    assert month_of(instant, "Europe/Berlin") == "2026-04"


def test_months_parse_and_advance():
    assert parse_month("2026-12") == (2026, 12)
    assert next_month("2026-12") == "2027-01"
    with pytest.raises(InvalidTerms, match="'2026-13'"):
        parse_month("2026-13")


def test_unknown_time_zone_is_refused_by_name():
    with pytest.raises(InvalidTerms, match="Mars/Olympus"):
        month_bounds("2026-01", "Mars/Olympus")


def test_rounding_is_half_up_once_to_the_minor_unit():
    assert round_half_up(Fraction(1005, 1000), "EUR") == Decimal("1.01")
    assert round_half_up(Fraction(1004999, 1000000), "EUR") == Decimal("1.00")
    assert round_half_up(Fraction(1, 2), "JPY") == Decimal("1")
    assert round_half_up(Fraction(10005, 10000), "KWD") == Decimal("1.001")


def test_amounts_finer_than_the_minor_unit_or_negative_are_refused():
    with pytest.raises(InvalidTerms, match="more than 2 decimal places"):
        check_amount(Decimal("1.001"), "EUR", "fee")
    with pytest.raises(InvalidTerms, match="expected an amount >= 0"):
        check_amount(Decimal("-1"), "EUR", "fee")
    with pytest.raises(InvalidTerms, match="'XYZ'"):
        check_amount(Decimal("1"), "XYZ", "fee")


def test_durations_read_exactly():
    assert format_duration(45 * 60_000_000) == "45m 0s"
    assert format_duration(HOUR + 1) == "1h 00m 0.000001s"


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_an_instant_is_rendered_as_rfc_3339_utc_with_microseconds_only_when_needed(naive):
    text = format_instant(to_us(naive.replace(tzinfo=UTC)))
    assert text == naive.isoformat() + "Z"
    assert datetime.fromisoformat(text) == naive.replace(tzinfo=UTC)
