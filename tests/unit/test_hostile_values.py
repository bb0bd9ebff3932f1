"""Values at datetime's and Decimal's limits are refused with our errors, naming them
(found by tests/reliability/fuzz)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sla_ledger import Contract, InvalidTerms, Service
from sla_ledger.domain.time import parse_month, zone
from tests.reliability.fuzz.world import line

FAR_EAST = timezone(timedelta(hours=14))


@pytest.mark.parametrize("month", [None, 202604, "0000-01", "1899-12", "9999-12"])
def test_a_month_that_is_not_text_or_out_of_range_is_refused(month) -> None:
    with pytest.raises(InvalidTerms, match="month"):
        parse_month(month)


def test_the_months_at_the_ends_of_the_range_are_months() -> None:
    assert parse_month("1900-01") == (1900, 1)
    assert parse_month("9998-12") == (9998, 12)


@pytest.mark.parametrize("interval", ["Infinity", "-Infinity", "1e30", "NaN"])
def test_a_duration_that_no_timedelta_holds_is_refused(interval) -> None:
    with pytest.raises(InvalidTerms, match="probe_interval"):
        Service(service_id="web", locations=("fra",), probe_interval=interval)


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime.min.replace(tzinfo=FAR_EAST),
        datetime(1960, 1, 1, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
    ],
)
def test_a_contract_starting_outside_the_years_measured_is_refused(starts_at) -> None:
    with pytest.raises(InvalidTerms, match="starts_at"):
        Contract(contract_id="c", customer="x", region="eu", starts_at=starts_at, lines=(line(),))


def test_a_time_zone_name_too_long_for_a_file_is_an_unknown_zone() -> None:
    with pytest.raises(InvalidTerms, match="unknown time zone"):
        zone("a" * 1000)
