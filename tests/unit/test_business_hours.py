"""Business hours: worked examples across a DST weekend and holidays, and bad input."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sla_ledger import BusinessHours, InvalidTerms, OpeningHours
from sla_ledger.domain.time import from_us, to_us

H = 3_600_000_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = BusinessHours(
    time_zone="Europe/Berlin",
    hours=(OpeningHours(days=WEEKDAYS, opens="09:00", closes="17:00"),),
    holidays=(date(2026, 4, 3), date(2026, 4, 6)),  # Good Friday, Easter Monday
)


def utc(*args: int) -> int:
    return to_us(datetime(*args, tzinfo=UTC))


def test_four_business_hours_from_friday_afternoon_end_on_monday_after_the_dst_change():
    # Friday 27 March 2026, 16:00 CET: one hour that day, then Monday from 09:00 CEST.
    due = OFFICE.add(utc(2026, 3, 27, 15), 4 * H)
    assert from_us(due) == datetime(2026, 3, 30, 10, tzinfo=UTC)  # 12:00 CEST
    assert OFFICE.elapsed(utc(2026, 3, 27, 15), due) == 4 * H
    # The weekend in between is 2 days and 23 hours of real time.
    assert due - utc(2026, 3, 27, 15) == (2 * 24 + 19) * H


def test_eight_business_hours_skip_the_easter_holidays():
    # Thursday 2 April 2026, 15:00 CEST: two hours, then Good Friday, the weekend and
    # Easter Monday are closed, and six more hours end on Tuesday at 15:00 CEST.
    due = OFFICE.add(utc(2026, 4, 2, 13), 8 * H)
    assert from_us(due) == datetime(2026, 4, 7, 13, tzinfo=UTC)


def test_a_weekend_tier_open_all_day_has_47_hours_over_the_spring_dst_weekend():
    weekend = BusinessHours(
        time_zone="Europe/Berlin",
        hours=(OpeningHours(days=("sat", "sun"), opens="00:00", closes="24:00"),),
    )
    saturday, monday = utc(2026, 3, 27, 23), utc(2026, 3, 29, 22)  # local midnights
    assert weekend.elapsed(saturday, monday) == 47 * H
    autumn = weekend.elapsed(utc(2026, 10, 23, 22), utc(2026, 10, 25, 23))
    assert autumn == 49 * H  # the repeated hour counts twice: the clocks showed it twice


def test_an_opening_across_the_skipped_hour_has_only_the_hours_the_clocks_show():
    night = BusinessHours(
        time_zone="Europe/Berlin",
        hours=(OpeningHours(days=("sun",), opens="01:00", closes="04:00"),),
    )
    assert night.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == 2 * H
    assert night.elapsed(utc(2026, 10, 24), utc(2026, 10, 26)) == 4 * H


def test_nothing_elapses_backwards_and_zero_business_time_is_the_start():
    start = utc(2026, 3, 27, 15)
    assert OFFICE.elapsed(start, start - H) == 0
    assert OFFICE.add(start, 0) == start


def test_a_deadline_reached_at_closing_time_is_the_closing_instant():
    # 16:00 CEST on a Wednesday plus one business hour: 17:00, not 09:00 the next day.
    assert from_us(OFFICE.add(utc(2026, 4, 8, 14), H)) == datetime(2026, 4, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"opens": "17:00", "closes": "09:00"}, "are empty: opens < closes"),
        ({"opens": "9:00"}, "'9:00' is not a time of day"),
        ({"closes": "24:30"}, "'24:30' is not a time of day"),
        ({"days": ("mon", "mon")}, "name a weekday twice"),
        ({"days": ("monday",)}, "days.0"),
    ],
)
def test_malformed_opening_hours_are_refused_naming_the_value(fields, message):
    with pytest.raises(InvalidTerms, match=message):
        OpeningHours(**{"days": WEEKDAYS, "opens": "09:00", "closes": "17:00", **fields})


def test_an_unknown_zone_and_no_opening_hours_are_refused():
    hours = (OpeningHours(days=WEEKDAYS, opens="09:00", closes="17:00"),)
    with pytest.raises(InvalidTerms, match="unknown time zone 'Mars/Olympus'"):
        BusinessHours(time_zone="Mars/Olympus", hours=hours)
    with pytest.raises(InvalidTerms, match="hours"):
        BusinessHours(time_zone="UTC", hours=())


def test_holidays_are_kept_sorted_and_once():
    hours = BusinessHours(
        time_zone="UTC",
        hours=(OpeningHours(days=WEEKDAYS, opens="09:00", closes="17:00"),),
        holidays=(date(2026, 12, 25), date(2026, 1, 1), date(2026, 12, 25)),
    )
    assert hours.holidays == (date(2026, 1, 1), date(2026, 12, 25))
    assert timedelta(microseconds=hours.elapsed(utc(2026, 12, 24), utc(2026, 12, 26))) == (
        timedelta(hours=8)
    )
