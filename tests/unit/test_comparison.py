"""Comparing two views of a statement is a pure function of the two statements."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from sla_ledger.domain.comparison import ABOUT, FIGURES, LISTS, compare
from sla_ledger.domain.measure import truncated_percent
from sla_ledger.domain.statement import EventRef, MaintenanceWindow, Outage, Statement

START = datetime(2026, 4, 1, tzinfo=UTC)
MONTH = timedelta(days=30)
US = timedelta(microseconds=1)


def outage(day: int, minutes: int, cause="probes") -> Outage:
    start = START + timedelta(days=day - 1, hours=12)
    end = start + timedelta(minutes=minutes)
    return Outage(start=start, end=end, duration=end - start, cause=cause)


def event(n: int, kind="ProbesInvalidated") -> EventRef:
    return EventRef(
        type=kind,
        originator_id=UUID(int=n),
        originator_version=1,
        recorded_at=START + MONTH + timedelta(hours=n),
    )


def statement(down_minutes=45, outages=None, **changes) -> Statement:
    """A full April (UTC), no maintenance; availability and credit follow ``down``."""
    down = timedelta(minutes=down_minutes)
    availability = Fraction((MONTH - down) // US, MONTH // US)
    fields = {
        "contract_id": "acme",
        "line_id": "core",
        "service": "api",
        "customer": "ACME",
        "month": "2026-04",
        "version": 1,
        "time_zone": "UTC",
        "period_start": START,
        "period_end": START + MONTH,
        "month_length": MONTH,
        "active": MONTH,
        "excluded": timedelta(0),
        "eligible": MONTH,
        "down": down,
        "unknown": timedelta(0),
        "unavailable": down,
        "unknown_counts_as": "unavailable",
        "availability": availability,
        "availability_percent": truncated_percent(availability),
        "target": Decimal("99.9"),
        "met": availability >= Fraction(999, 1000),
        "credit_percent": Decimal(10 if availability < Fraction(999, 1000) else 0),
        "base": Decimal("1000.00"),
        "credit": Decimal("100.00" if availability < Fraction(999, 1000) else "0"),
        "currency": "EUR",
        "outages": (outage(10, down_minutes),) if outages is None else outages,
        "log_position": 100,
        "known_at": START + MONTH + timedelta(hours=2),
    }
    return Statement(**{**fields, **changes})


def test_every_field_of_a_statement_is_a_figure_a_list_or_about_the_view():
    # A field added to Statement must be placed here, or diffs would silently ignore it.
    assert sorted((*FIGURES, *LISTS, *ABOUT)) == sorted(Statement.model_fields)
    assert len(set(FIGURES) | set(LISTS) | set(ABOUT)) == len(Statement.model_fields)


def test_two_equal_statements_differ_in_nothing():
    d = compare(statement(), statement())
    assert not d.changed
    assert d.figures == () and d.outages_added == () and d.outages_removed == ()


def test_a_view_made_later_from_the_same_events_is_no_change():
    later = statement(log_position=200, known_at=START + MONTH + timedelta(days=3))
    assert not compare(statement(), later).changed


def test_changed_figures_are_named_in_the_statements_order_with_both_values():
    d = compare(statement(50), statement(45))  # both below the target: same credit
    assert d.figures == ("down", "unavailable", "availability", "availability_percent")
    assert (d.before.down, d.after.down) == (timedelta(minutes=50), timedelta(minutes=45))
    assert d.before.availability < d.after.availability


def test_a_figure_crossing_the_target_changes_met_and_the_credit():
    d = compare(statement(45), statement(30))
    assert {"met", "credit_percent", "credit"} <= set(d.figures)
    assert (d.before.credit, d.after.credit) == (Decimal("100.00"), Decimal("0"))


def test_an_outage_whose_end_moved_is_removed_and_added():
    d = compare(statement(45), statement(40))
    assert d.outages_removed == (outage(10, 45),)
    assert d.outages_added == (outage(10, 40),)


def test_an_outage_seen_in_both_views_is_not_listed():
    both = (outage(3, 10), outage(10, 45))
    d = compare(statement(55, outages=both), statement(65, outages=(*both, outage(20, 10))))
    assert d.outages_added == (outage(20, 10),) and d.outages_removed == ()


def test_corrections_and_maintenance_are_compared_as_lists():
    window = MaintenanceWindow(
        announcement_id=UUID(int=7),
        start=START + timedelta(days=5),
        end=START + timedelta(days=5, hours=2),
        recorded_at=START,
        lead=timedelta(days=5),
        status="qualifying",
        excluded=timedelta(hours=2),
    )
    cancelled = window.model_copy(update={"status": "cancelled", "excluded": timedelta(0)})
    before = statement(corrections=(event(1),), maintenance=(window,))
    after = statement(corrections=(event(1), event(2)), maintenance=(cancelled,))
    d = compare(before, after)
    assert d.corrections_added == (event(2),) and d.corrections_removed == ()
    assert d.maintenance_added == (cancelled,) and d.maintenance_removed == (window,)
    assert d.figures == () and d.changed


def test_a_new_version_is_a_change_even_with_the_same_figures():
    d = compare(statement(), statement(version=2, changed_by=(event(3, "ProbesRecorded"),)))
    assert d.version_changed and d.changed and d.figures == ()


def test_evidence_is_carried_along_as_given_and_is_not_itself_a_change():
    d = compare(statement(), statement(), evidence=[event(1, "ProbesRecorded")])
    assert d.evidence == (event(1, "ProbesRecorded"),)
    assert not d.changed
