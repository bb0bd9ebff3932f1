"""SPEC's worked examples, end to end through the public API on a real (in-memory) SQLite store."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from sla_ledger import Probe
from tests.integration.scenario import (
    APRIL,
    LOCATIONS,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    probes,
    record,
    record_month,
)

CLOSE = datetime(2026, 5, 1, 2, tzinfo=UTC)


def closed(ledger, clock, month="2026-04"):
    clock.set(CLOSE if month == "2026-04" else datetime(2026, 4, 1, 2, tzinfo=UTC))
    ledger.close_due_months()
    return ledger.statement_for("acme", "core", month)


def test_a_45_minute_outage_in_april_utc_earns_ten_percent():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
    st = closed(ledger, clock)
    assert st.availability == Fraction(959, 960) == Fraction(2_589_300, 2_592_000)
    assert st.availability_percent == "99.8958"
    assert st.credit_percent == 10 and st.credit == Decimal("100.00") and not st.met
    assert [(o.start, o.end, o.cause) for o in st.outages] == [
        (at(10, 12), at(10, 12, 45), "probes")
    ]
    [credit] = ledger.credits()
    assert (credit.amount, credit.currency, credit.kind) == (
        Decimal("100.00"),
        "EUR",
        "CreditIssued",
    )


def test_a_45_minute_outage_in_march_berlin_is_measured_over_743_hours():
    ledger, clock = new_ledger("memory://", now=datetime(2026, 2, 1, tzinfo=UTC))
    ledger.register_service(api_service())
    start = datetime(2026, 2, 28, 23, tzinfo=UTC)
    ledger.sign_contract(contract(time_zone="Europe/Berlin", starts_at=start))
    outage = datetime(2026, 3, 12, 9, tzinfo=UTC)
    record_month(
        ledger,
        start - timedelta(hours=1),
        datetime(2026, 3, 31, 23, tzinfo=UTC),
        down=[(outage, outage + timedelta(minutes=45))],
    )
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    ledger.close_due_months()
    st = ledger.statement_for("acme", "core", "2026-03")
    assert st.month_length == timedelta(hours=743)
    assert st.availability == Fraction(2969, 2972) == Fraction(2_672_100, 2_674_800)
    assert st.availability_percent == "99.8990"
    assert st.credit == Decimal("100.00")


def test_exactly_99_9_percent_is_not_strictly_below_the_target():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    everything = probes(APRIL, MAY)
    # 43 min 12 s down: a down probe at 12:00 and the next up probe at 12:43:12.
    stop = at(10, 12, 43, 12)
    everything = [p for p in everything if not (at(10, 12) <= p.at < stop)]
    everything += [
        Probe("api", loc, t, False)
        for loc in LOCATIONS
        for t in (
            at(10, 12),
            at(10, 12, 5),
            at(10, 12, 10),
            at(10, 12, 15),
            at(10, 12, 20),
            at(10, 12, 25),
            at(10, 12, 30),
            at(10, 12, 35),
            at(10, 12, 40),
        )
    ]
    everything += [Probe("api", loc, stop, True) for loc in LOCATIONS]
    record(ledger, everything)
    st = closed(ledger, clock)
    assert st.down == timedelta(minutes=43, seconds=12)
    assert st.availability == Fraction(999, 1000)
    assert st.availability_percent == "99.9000"
    assert st.met and st.credit == 0 and st.credit_percent == 0
    assert ledger.credits() == []


def test_a_59_second_outage_is_a_blip_and_counts_as_up():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    everything = probes(APRIL, MAY)
    everything += [Probe("api", loc, at(10, 12, 1), False) for loc in LOCATIONS]
    everything += [Probe("api", loc, at(10, 12, 1, 59), True) for loc in LOCATIONS]
    record(ledger, everything)
    st = closed(ledger, clock)
    assert (
        st.down == timedelta(0) and st.availability == 1 and st.availability_percent == "100.0000"
    )
    assert st.credit == 0


def maintenance_month(days_of_notice: int):
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    window = (at(20, 2), at(20, 4))
    clock.set(window[0] - timedelta(days=days_of_notice))
    ledger.announce_maintenance(["api"], *window, reason="database upgrade")
    record_month(ledger, APRIL, MAY, down=[window])
    return closed(ledger, clock)


def test_maintenance_announced_4_days_ahead_does_not_qualify():
    st = maintenance_month(4)
    assert st.excluded == timedelta(0) and st.down == timedelta(hours=2)
    assert [m.status for m in st.maintenance] == ["late"]
    assert st.maintenance[0].lead == timedelta(days=4)


def test_maintenance_announced_5_days_ahead_is_removed_from_eligible_and_down_time():
    st = maintenance_month(5)
    assert st.excluded == timedelta(hours=2) and st.down == timedelta(0)
    assert st.eligible == timedelta(hours=718)
    assert st.availability == 1 and [m.status for m in st.maintenance] == ["qualifying"]


def test_a_line_active_from_16_april_has_half_the_monthly_fee_as_its_base():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract(starts_at=at(16)))
    record_month(ledger, APRIL, MAY, down=[(at(20, 1), at(20, 9))])
    st = closed(ledger, clock)
    assert st.active == timedelta(days=15) and st.base == Decimal("500.00")
    # 8 h of 360 h down: 97.77 % -> 25 % of 500.00
    assert st.credit_percent == 25 and st.credit == Decimal("125.00")


def test_each_outage_shows_when_the_ledger_first_learned_of_it():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    outage = (at(10, 12), at(10, 12, 45))
    clock.set(at(10, 12, 7))  # monitoring delivers the outage's first probes 7 minutes late
    record(ledger, probes(APRIL, at(10, 12, 5), down=[outage]))
    clock.set(at(20))
    record(ledger, probes(at(10, 12, 5), MAY, down=[outage]))
    [o] = closed(ledger, clock).outages
    assert (o.detected_at, o.detection_latency) == (at(10, 12, 7), timedelta(minutes=7))


def test_a_month_to_date_is_measured_only_up_to_the_instant_asked():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    clock.set(at(11))
    record(ledger, probes(APRIL, at(11), down=[(at(10, 12), at(10, 12, 45))]))
    so_far = ledger.compute_statement("acme", "core", "2026-04", until=at(11))
    assert so_far.active == timedelta(days=10) and so_far.unknown == timedelta(0)
    assert so_far.down == timedelta(minutes=45) and so_far.base == Decimal("333.33")
    assert ledger.statement_for("acme", "core", "2026-04") is None
