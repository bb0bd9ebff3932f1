"""The brute-force model itself, checked against SPEC.md's worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from tests.property.brute_force import (
    AnnouncementSpec,
    ComponentSpec,
    ContractSpec,
    IncidentSpec,
    ProbeSpec,
    RescheduleSpec,
    Scenario,
    ServiceSpec,
    evaluate,
    month_bounds,
    to_us,
    truncated_percent,
)
from tests.property.strategies import cases

UTC = UTC
H = timedelta(hours=1)
LOCS = ("l1", "l2", "l3")
HOURLY = ServiceSpec("api", LOCS, probe_interval=H)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def hourly_probes(start: datetime, end: datetime, outages=(), target="api", locations=LOCS):
    """ok probes every hour from every location; each outage [s, e) is seen by all as down."""
    probes = []
    t = start
    while t < end:
        if not any(s <= t < e for s, e in outages):
            probes += [ProbeSpec(target, loc, t, True) for loc in locations]
        t += H
    for s, e in outages:
        probes += [ProbeSpec(target, loc, s, False) for loc in locations]
        probes += [ProbeSpec(target, loc, e, True) for loc in locations]
    return tuple(probes)


ALWAYS = ContractSpec(starts_at=LONG_AGO)


def april(outages=(), contract=ALWAYS, **kw) -> Scenario:
    probes = hourly_probes(at(2026, 3, 31, 20), at(2026, 5, 1, 4), outages)
    return Scenario(HOURLY, contract, probes=probes, **kw)


# ------------------------------------------------------------------ worked examples


def test_april_utc_45_minute_outage_is_959_960_and_a_10_percent_credit():
    fig = evaluate(
        april([(at(2026, 4, 10, 10), at(2026, 4, 10, 10, 45))]),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.month_us == fig.active_us == fig.eligible_us == 2_592_000 * 10**6
    assert fig.down_us == 45 * 60 * 10**6
    assert fig.availability == Fraction(2_589_300, 2_592_000) == Fraction(959, 960)
    assert truncated_percent(fig.availability) == "99.8958"
    assert fig.credit_percent == Decimal("10")
    assert fig.credit == Decimal("100.00")
    assert not fig.met


def test_berlin_march_2026_has_743_hours_and_45_minutes_give_2969_2972():
    contract = ContractSpec(time_zone="Europe/Berlin", starts_at=LONG_AGO)
    outage = (at(2026, 3, 10, 10), at(2026, 3, 10, 10, 45))
    probes = hourly_probes(at(2026, 2, 28, 18), at(2026, 4, 1, 4), [outage])
    fig = evaluate(Scenario(HOURLY, contract, probes=probes), "2026-03", tick=timedelta(minutes=15))
    assert fig.month_us == 743 * 3600 * 10**6
    assert fig.availability == Fraction(2_672_100, 2_674_800) == Fraction(2969, 2972)
    assert truncated_percent(fig.availability) == "99.8990"
    assert fig.credit == Decimal("100.00")


def test_43_minutes_12_seconds_is_exactly_99_9_percent_and_no_credit():
    fig = evaluate(
        april([(at(2026, 4, 10, 10), at(2026, 4, 10, 10, 43, 12))]),
        "2026-04",
        tick=timedelta(seconds=48),
    )
    assert fig.availability == Fraction(2_589_408, 2_592_000) == Fraction(999, 1000)
    assert truncated_percent(fig.availability) == "99.9000"
    assert fig.met
    assert fig.credit_percent == 0
    assert fig.credit == Decimal("0.00")


@pytest.mark.parametrize(("seconds", "down"), [(59, 0), (60, 60)])
def test_a_59_second_blip_counts_as_up_but_60_seconds_count(seconds, down):
    outage = (at(2026, 4, 10, 10), at(2026, 4, 10, 10) + timedelta(seconds=seconds))
    scn = Scenario(  # one active day keeps 1 s ticks cheap
        HOURLY,
        ContractSpec(starts_at=at(2026, 4, 10), ends_at=at(2026, 4, 11)),
        probes=hourly_probes(at(2026, 4, 9, 20), at(2026, 4, 11, 4), [outage]),
    )
    fig = evaluate(scn, "2026-04", tick=timedelta(seconds=1))
    assert fig.down_us == down * 10**6
    assert fig.unknown_us == 0
    if not down:
        assert fig.availability == 1
        assert truncated_percent(fig.availability) == "100.0000"


@pytest.mark.parametrize(("notice_days", "qualifies"), [(4, False), (5, True)])
def test_maintenance_needs_five_days_notice(notice_days, qualifies):
    window = (at(2026, 4, 10, 2), at(2026, 4, 10, 4))
    ann = AnnouncementSpec(("api",), *window, recorded_at=window[0] - timedelta(days=notice_days))
    fig = evaluate(april([window], announcements=(ann,)), "2026-04", tick=timedelta(minutes=15))
    if qualifies:
        assert fig.excluded_us == 7200 * 10**6
        assert fig.eligible_us == (2_592_000 - 7200) * 10**6
        assert fig.down_us == 0
        assert fig.credit == Decimal("0.00")
    else:
        assert fig.excluded_us == 0
        assert fig.down_us == 7200 * 10**6
        assert fig.availability == Fraction(2_584_800, 2_592_000)
        assert fig.credit == Decimal("100.00")


def test_a_line_active_from_16_april_has_a_base_of_500():
    contract = ContractSpec(starts_at=at(2026, 4, 16))
    fig = evaluate(
        april([(at(2026, 4, 20, 10), at(2026, 4, 20, 10, 45))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.active_us == 15 * 86_400 * 10**6
    assert fig.availability == 1 - Fraction(2700, 15 * 86_400)
    assert fig.credit_percent == 10
    assert fig.credit == Decimal("50.00")  # 10 % of 1,000.00 x 15/30


# ------------------------------------------------------------------ R2


@pytest.mark.parametrize(
    ("zone", "month", "hours"),
    [
        ("UTC", "2026-02", 672),
        ("Europe/Berlin", "2026-03", 743),
        ("Europe/Berlin", "2026-10", 745),
        ("America/New_York", "2026-03", 743),
        ("America/New_York", "2026-11", 721),
        ("America/New_York", "2026-12", 744),
    ],
)
def test_month_length_is_real_elapsed_time(zone, month, hours):
    start, end = month_bounds(zone, month)
    assert end - start == hours * 3600 * 10**6


@pytest.mark.parametrize(
    ("zone", "month"),
    [
        ("America/Santiago", "2026-09"),
        ("America/Santiago", "2026-04"),
        ("Asia/Beirut", "2026-03"),
        ("America/Havana", "2026-03"),
        ("Europe/Berlin", "2026-03"),
        ("America/New_York", "2026-11"),
    ],
)
def test_month_start_is_first_instant_of_the_local_first(zone, month):
    year, mon = map(int, month.split("-"))
    z = ZoneInfo(zone)
    t = datetime(year, mon, 1, tzinfo=UTC) - timedelta(days=2)
    while t.astimezone(z).date() < datetime(year, mon, 1).date():
        t += timedelta(minutes=1)
    assert month_bounds(zone, month)[0] == to_us(t)


# ------------------------------------------------------------------ R3/R4


def _day_scenario(probes, service=HOURLY, **contract_kw) -> Scenario:
    contract = ContractSpec(starts_at=at(2026, 4, 10), ends_at=at(2026, 4, 11), **contract_kw)
    return Scenario(service, contract, probes=tuple(probes))


def test_probes_older_than_staleness_leave_the_view_unknown():
    # one probe round at 00:00 only: valid for 3 h, then unknown for 21 h
    fig = evaluate(
        _day_scenario([ProbeSpec("api", loc, at(2026, 4, 10), True) for loc in LOCS]), "2026-04"
    )
    assert fig.unknown_us == 21 * 3600 * 10**6
    assert fig.availability == Fraction(3, 24)


def test_unknown_counts_as_available_when_the_contract_says_so():
    probes = [ProbeSpec("api", loc, at(2026, 4, 10), True) for loc in LOCS]
    fig = evaluate(_day_scenario(probes, unknown_counts_as="available"), "2026-04")
    assert fig.unknown_us == 21 * 3600 * 10**6
    assert fig.availability == 1


def test_quorum_decides_and_disagreeing_duplicates_count_as_down():
    t0 = at(2026, 4, 10)
    base = [ProbeSpec("api", loc, t0 + k * H, True) for loc in LOCS for k in range(24)]
    one_down = [*base, ProbeSpec("api", "l1", t0 + 5 * H, False)]  # l1 disagrees with itself
    assert evaluate(_day_scenario(one_down), "2026-04").down_us == 0  # 1 of 3 < quorum 2
    two_down = [*one_down, ProbeSpec("api", "l2", t0 + 5 * H, False)]
    fig = evaluate(_day_scenario(two_down), "2026-04")
    assert fig.down_us == 3600 * 10**6
    low_quorum = ServiceSpec("api", LOCS, probe_interval=H, quorum=1)
    assert evaluate(_day_scenario(one_down, service=low_quorum), "2026-04").down_us == 3600 * 10**6


def test_absorbed_instance_failure_is_up_and_a_down_critical_component_is_down():
    comp = ComponentSpec("db", critical=True, min_healthy=1, instances=("db1", "db2"))
    svc = ServiceSpec("api", LOCS, probe_interval=H, endpoint=False, components=(comp,))
    t0 = at(2026, 4, 10)
    probes = [
        ProbeSpec(f"api/db/{i}", loc, t0 + k * H, k != 5 or i != "db1")
        for i in ("db1", "db2")
        for loc in LOCS
        for k in range(25)
    ]
    assert evaluate(_day_scenario(probes, service=svc), "2026-04").down_us == 0
    probes = [
        p if p.at != t0 + 5 * H else ProbeSpec(p.target, p.location, p.at, False) for p in probes
    ]
    assert evaluate(_day_scenario(probes, service=svc), "2026-04").down_us == 3600 * 10**6
    noncritical = ServiceSpec(
        "api", LOCS, probe_interval=H, components=(ComponentSpec("db", False, 1, ("db1", "db2")),)
    )
    endpoint_ok = probes + [
        ProbeSpec("api", loc, t0 + k * H, True) for loc in LOCS for k in range(25)
    ]
    assert evaluate(_day_scenario(endpoint_ok, service=noncritical), "2026-04").down_us == 0


def test_component_with_min_healthy_two_is_unknown_until_it_cannot_be_met():
    comp = ComponentSpec("db", critical=True, min_healthy=2, instances=("a", "b", "c"))
    svc = ServiceSpec("api", LOCS, probe_interval=H, endpoint=False, components=(comp,))
    t0 = at(2026, 4, 10)
    # a up, b down, c never probed: 1 up < 2, 1 down <= 3 - 2 -> unknown
    probes = [
        ProbeSpec(f"api/db/{i}", loc, t0 + k * H, i == "a")
        for i in "ab"
        for loc in LOCS
        for k in range(25)
    ]
    fig = evaluate(_day_scenario(probes, service=svc), "2026-04")
    assert fig.unknown_us == 86_400 * 10**6 and fig.down_us == 0


# ------------------------------------------------------------------ R5-R8


def test_incidents_force_down_and_invalidated_probes_are_ignored():
    t0 = at(2026, 4, 10)
    base = [ProbeSpec("api", loc, t0 + k * H, True) for loc in LOCS for k in range(25)]
    bad = [ProbeSpec("api", loc, t0 + 3 * H, False) for loc in ("l1", "l2")]
    scn = _day_scenario(base + bad)
    assert evaluate(scn, "2026-04").down_us == 3600 * 10**6
    fixed = Scenario(
        scn.service, scn.contract, scn.probes, invalidated=frozenset(p.key for p in bad)
    )
    assert evaluate(fixed, "2026-04").down_us == 0
    with_incident = Scenario(
        scn.service,
        scn.contract,
        tuple(base),
        incidents=(IncidentSpec(("api",), t0 + 20 * H, None),),
    )
    assert evaluate(with_incident, "2026-04").down_us == 4 * 3600 * 10**6


def test_a_down_period_crossing_the_month_boundary_is_judged_whole():
    # 30 s in March + 30 s in April = 60 s: not a blip, counts in both months
    outage = (at(2026, 3, 31, 23, 59, 30), at(2026, 4, 1, 0, 0, 30))
    probes = hourly_probes(at(2026, 3, 31, 12), at(2026, 4, 1, 12), [outage])
    contract = ContractSpec(starts_at=at(2026, 3, 31, 18), ends_at=at(2026, 4, 1, 6))
    scn = Scenario(HOURLY, contract, probes=probes)
    for month in ("2026-03", "2026-04"):
        assert evaluate(scn, month, tick=timedelta(seconds=30)).down_us == 30 * 10**6
        assert (
            evaluate(scn, month, tick=timedelta(seconds=30), full_timeline=True).down_us
            == 30 * 10**6
        )


def test_maintenance_cap_excludes_the_earliest_time_first_and_the_rest_counts():
    w1 = (at(2026, 4, 10, 0), at(2026, 4, 10, 2))
    w2 = (at(2026, 4, 10, 1), at(2026, 4, 10, 4))  # overlaps w1: union is 00:00-04:00
    anns = tuple(AnnouncementSpec(("api",), s, e, recorded_at=at(2026, 4, 1)) for s, e in (w1, w2))
    contract = ContractSpec(starts_at=LONG_AGO, maintenance_cap=timedelta(hours=3))
    fig = evaluate(
        april([(at(2026, 4, 10, 2), at(2026, 4, 10, 4))], contract=contract, announcements=anns),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.excluded_us == 3 * 3600 * 10**6
    assert fig.down_us == 3600 * 10**6  # 03:00-04:00 is past the cap


def test_rescheduling_is_judged_at_its_own_recording_time_and_cancellation_disqualifies():
    window = (at(2026, 4, 10, 2), at(2026, 4, 10, 4))
    late = RescheduleSpec(*window, recorded_at=at(2026, 4, 8))
    ann = AnnouncementSpec(
        ("api",),
        at(2026, 4, 20),
        at(2026, 4, 20, 2),
        recorded_at=at(2026, 4, 1),
        reschedules=(late,),
    )
    fig = evaluate(april([window], announcements=(ann,)), "2026-04", tick=timedelta(minutes=15))
    assert fig.excluded_us == 0 and fig.down_us == 7200 * 10**6
    early = RescheduleSpec(*window, recorded_at=at(2026, 4, 5))
    ann = AnnouncementSpec(
        ("api",),
        at(2026, 4, 20),
        at(2026, 4, 20, 2),
        recorded_at=at(2026, 4, 1),
        reschedules=(early,),
    )
    assert (
        evaluate(
            april([window], announcements=(ann,)), "2026-04", tick=timedelta(minutes=15)
        ).excluded_us
        == 7200 * 10**6
    )
    cancelled = AnnouncementSpec(("api",), *window, recorded_at=at(2026, 4, 1), cancelled=True)
    assert (
        evaluate(
            april([window], announcements=(cancelled,)), "2026-04", tick=timedelta(minutes=15)
        ).excluded_us
        == 0
    )


# ------------------------------------------------------------------ R9/R10


def test_no_eligible_time_is_100_percent():
    contract = ContractSpec(starts_at=at(2026, 5, 3))
    fig = evaluate(april(contract=contract), "2026-04", tick=timedelta(minutes=15))
    assert fig.active_us == fig.eligible_us == 0
    assert fig.availability == 1 and fig.credit == 0


@pytest.mark.parametrize(
    ("currency", "fee", "minimum", "max_credit", "expected"),
    [
        ("EUR", "1000.00", "0", "100", "100.00"),
        ("EUR", "1000.00", "100.01", "100", "0.00"),  # strictly below the minimum: not issued
        ("EUR", "1000.00", "100.00", "100", "100.00"),
        ("EUR", "1000.00", "0", "5", "50.00"),  # capped at max_credit percent of the base
        ("JPY", "12345", "0", "100", "1235"),  # 1234.5 rounds half-up once
        ("USD", "0.05", "0", "100", "0.01"),  # 0.005 -> 0.01
    ],
)
def test_credit_rounding_cap_and_minimum(currency, fee, minimum, max_credit, expected):
    contract = ContractSpec(
        starts_at=LONG_AGO,
        currency=currency,
        monthly_fee=Decimal(fee),
        minimum_credit=Decimal(minimum),
        max_credit=Decimal(max_credit),
    )
    fig = evaluate(
        april([(at(2026, 4, 10, 10), at(2026, 4, 10, 10, 45))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.credit == Decimal(expected)
    assert str(fig.credit) == expected


def test_rounding_happens_once_at_the_end():
    # base 1000 x 1/3 month = 333.333..., 10 % = 33.3333... -> 33.33 (not 33.30 from a rounded base)
    contract = ContractSpec(starts_at=at(2026, 4, 21), monthly_fee=Decimal("1000.00"))
    fig = evaluate(
        april([(at(2026, 4, 25, 10), at(2026, 4, 25, 10, 45))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.credit == Decimal("33.33")


def test_the_lowest_tier_strictly_above_applies():
    contract = ContractSpec(starts_at=LONG_AGO)
    # 7.2 h down in 720 h = 99.0 % exactly: not below 99.0, so the 10 % tier
    fig = evaluate(
        april([(at(2026, 4, 10, 0), at(2026, 4, 10, 7, 12))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=12),
    )
    assert fig.availability == Fraction(99, 100) and fig.credit_percent == 10
    fig = evaluate(
        april([(at(2026, 4, 10, 0), at(2026, 4, 11, 12))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.availability == Fraction(95, 100) and fig.credit_percent == 25
    fig = evaluate(
        april([(at(2026, 4, 10, 0), at(2026, 4, 11, 12, 15))], contract=contract),
        "2026-04",
        tick=timedelta(minutes=15),
    )
    assert fig.credit_percent == 100 and fig.credit == Decimal("1000.00")


def test_off_grid_scenarios_are_refused():
    with pytest.raises(ValueError, match="tick grid"):
        evaluate(
            april([(at(2026, 4, 10, 10), at(2026, 4, 10, 10, 0, 7))]),
            "2026-04",
            tick=timedelta(minutes=1),
        )


# ------------------------------------------------------------------ the model agrees with itself


@given(cases())
def test_model_is_the_same_on_a_finer_grid_and_on_the_whole_timeline(case):
    coarse = evaluate(case.scenario, case.month, case.tick)
    assert evaluate(case.scenario, case.month, case.tick / 2) == coarse
    assert evaluate(case.scenario, case.month, case.tick, full_timeline=True) == coarse
