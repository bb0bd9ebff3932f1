"""A line's month as intervals of each state, day by day, and the credit's steps (pure)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from uuid import uuid4

import pytest

from sla_ledger import ContractLine, CreditTier
from sla_ledger.domain import intervals as iv
from sla_ledger.domain.credit_steps import credit_steps
from sla_ledger.domain.daily import MonthStates, daily, local_days, spans, window_parts
from sla_ledger.domain.measure import Announcement, credit_amount, exclude_maintenance
from sla_ledger.domain.time import month_bounds

H = 3_600_000_000
MIN = 60_000_000
LINE = ContractLine(line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR")


def april(**changes) -> MonthStates:
    start, end = month_bounds("2026-04", "UTC")
    fields = {
        "month": "2026-04",
        "time_zone": "UTC",
        "line": LINE,
        "unknown_counts_as": "unavailable",
        "start": start,
        "end": end,
        "active": [(start, end)],
        "excluded": [],
        "down": [],
        "unknown": [],
        "decisions": [],
    }
    return MonthStates(**{**fields, **changes})


def day(n: int, hour: int = 0, minute: int = 0) -> int:
    return month_bounds("2026-04", "UTC")[0] + (n - 1) * 24 * H + hour * H + minute * MIN


def test_the_days_of_march_in_berlin_tile_the_month_and_one_is_23_hours():
    days = local_days("2026-03", "Europe/Berlin")
    start, end = month_bounds("2026-03", "Europe/Berlin")
    assert len(days) == 31
    assert days[0][1] == start and days[-1][2] == end
    assert all(a[2] == b[1] for a, b in itertools.pairwise(days))
    lengths = {date: (hi - lo) // H for date, lo, hi in days}
    assert lengths["2026-03-29"] == 23
    assert {n for d, n in lengths.items() if d != "2026-03-29"} == {24}


def test_a_day_without_a_midnight_begins_when_the_clocks_change():
    # Havana springs forward at midnight: 8 March 2026 begins at 01:00 local.
    days = dict((date, (lo, hi)) for date, lo, hi in local_days("2026-03", "America/Havana"))
    lo, hi = days["2026-03-08"]
    assert (hi - lo) // H == 23
    assert sum(hi - lo for lo, hi in days.values()) == iv.total(
        [month_bounds("2026-03", "America/Havana")]
    )


def test_the_spans_of_a_month_tile_it_with_each_state_where_it_held():
    outage = (day(10, 12), day(10, 12, 45))
    gap = (day(20, 10, 10), day(20, 11))
    window = (day(22, 1), day(22, 3))
    m = april(
        active=[(day(1), day(28))],
        excluded=[window],
        down=[outage, (day(22, 2), day(22, 4))],
        unknown=[gap],
    )
    found = spans(m)
    assert found[0][0] == m.start and found[-1][1] == m.end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(found))
    by_state: dict[str, list[tuple[int, int]]] = {}
    for a, b, state in found:
        by_state.setdefault(state, []).append((a, b))
    assert by_state["down"] == [outage, (day(22, 3), day(22, 4))]  # the window's part excluded
    assert by_state["unknown"] == [gap]
    assert by_state["excluded"] == [window]
    assert by_state["inactive"] == [(day(28), m.end)]


def test_daily_figures_add_up_to_the_month_and_use_the_months_rules():
    m = april(
        excluded=[(day(22, 1), day(22, 3))],
        down=[(day(10, 23, 30), day(11, 0, 15))],  # crosses midnight
        unknown=[(day(20, 10, 10), day(20, 11))],
    )
    days = daily(m)
    month = m.figures()
    assert len(days) == 30
    for name in ("active_us", "excluded_us", "eligible_us", "down_us", "unknown_us"):
        assert sum(getattr(d.figures, name) for d in days) == getattr(month, name)
    tenth, eleventh = days[9].figures, days[10].figures
    assert (tenth.down_us, eleventh.down_us) == (30 * MIN, 15 * MIN)
    assert tenth.availability == Fraction(24 * 60 - 30, 24 * 60)
    assert days[19].figures.unavailable_us == 50 * MIN  # unknown counts as unavailable
    assert days[21].figures.eligible_us == 22 * H
    assert days[0].figures.availability == 1


def test_a_day_outside_the_contract_is_fully_available_with_nothing_eligible():
    m = april(active=[(day(16), day(31))])
    first = daily(m)[0].figures
    assert (first.active_us, first.eligible_us, first.availability) == (0, 0, 1)


def test_window_parts_say_what_became_of_each_part_of_an_announced_window():
    a = Announcement(
        announcement_id=uuid4(),
        services=("api",),
        start=day(22, 1),
        end=day(22, 11),
        recorded_at=day(1),
        cancelled=False,
    )
    late = Announcement(a.announcement_id, ("api",), day(25, 3), day(25, 4), day(24), False)
    active = [(day(1), day(31))]
    excluded, decisions = exclude_maintenance([a, late], 5 * 24 * H, 8 * H, active)
    parts = window_parts(april(excluded=excluded, decisions=decisions))
    assert [(x, y, part) for x, y, part, _ in parts] == [
        (day(22, 1), day(22, 9), "excluded"),
        (day(22, 9), day(22, 11), "beyond cap"),
        (day(25, 3), day(25, 4), "late"),
    ]


@pytest.mark.parametrize(
    ("availability", "active_hours", "tier_below", "credit"),
    [
        (Fraction(959, 960), 720, "99.9", "100.00"),
        (Fraction(999, 1000), 720, None, "0.00"),  # 99.9 % exactly: not strictly below
        (Fraction(98, 100), 360, "99.0", "125.00"),  # 25 % of half the fee
        (Fraction(90, 100), 720, "95.0", "500.00"),  # 100 %, capped at 50 %
    ],
)
def test_credit_steps_name_the_tier_base_cap_and_rounding_behind_the_credit(
    availability, active_hours, tier_below, credit
):
    line = LINE.model_copy(update={"max_credit": Decimal("50")})
    steps = credit_steps(line, availability, active_hours * H, 720 * H)
    assert (steps.tier.below if steps.tier else None) == (
        Decimal(tier_below) if tier_below else None
    )
    assert steps.proration == Fraction(active_hours, 720)
    assert steps.base == 1000 * steps.proration
    assert steps.capped_percent == min(steps.percent, Decimal(50))
    assert steps.credit == Decimal(credit) == credit_amount(steps.base, steps.percent, line)


def test_a_credit_under_the_minimum_is_named_as_such_and_not_issued():
    line = ContractLine(
        line_id="core",
        service="api",
        monthly_fee=Decimal("10.00"),
        currency="EUR",
        credit_schedule=(CreditTier(below=Decimal("99.9"), credit=Decimal("10")),),
        minimum_credit=Decimal("5.00"),
    )
    steps = credit_steps(line, Fraction(959, 960), 720 * H, 720 * H)
    assert (steps.rounded, steps.below_minimum, steps.credit) == (
        Decimal("1.00"),
        True,
        Decimal("0.00"),
    )


def test_rounding_happens_once_half_up_on_the_exact_amount():
    line = LINE.model_copy(update={"monthly_fee": Decimal("0.05")})
    steps = credit_steps(line, Fraction(959, 960), 720 * H, 720 * H)
    assert steps.exact == Fraction(5, 1000)  # 0.005 EUR
    assert steps.rounded == Decimal("0.01")
    assert steps.minor_unit == 2
