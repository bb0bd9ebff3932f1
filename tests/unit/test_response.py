"""Response targets of a case and the combined cap, as pure functions (docs/support.md)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from sla_ledger import ContractLine, ResponseTarget, SupportTier
from sla_ledger.domain.response import case_targets
from sla_ledger.domain.response_reckoning import line_credit
from sla_ledger.domain.support_state import Case
from sla_ledger.domain.time import to_us
from tests.unit.test_comparison import statement

H = 3_600_000_000
T0 = to_us(datetime(2026, 4, 14, 8, tzinfo=UTC))
DAY = T0 + 24 * H  # far enough: every target here is due before it
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(
            severity="sev1",
            first_response=timedelta(hours=1),
            update_interval=timedelta(hours=4),
            first_response_credit=Decimal("5"),
            update_credit=Decimal("1"),
        ),
        ResponseTarget(severity="sev2", first_response=timedelta(hours=4)),
        ResponseTarget(severity="sev3", first_response=timedelta(hours=8)),
    ),
)


def case(severity="sev1", changes=(), **events):
    severities = ((T0, severity), *((T0 + h * H, s) for h, s in changes))
    return Case(uuid4(), "c", "", T0, T0, severities, **events)


def shown(targets, horizon=DAY):
    """(kind, severity, due, status, answered) with instants in hours after the opening."""
    return [
        (t.kind, t.severity, (t.due - T0) / H, t.status(horizon), _hours(t.answered_at))
        for t in targets
    ]


def _hours(instant):
    return None if instant is None else (instant - T0) / H


def test_a_first_response_within_the_target_is_met_and_after_it_missed():
    on_time = case(severity="sev2", responded=T0 + 4 * H)
    assert shown(case_targets(on_time, TIER, DAY)) == [("first response", "sev2", 4, "met", 4)]
    [late] = case_targets(case(responded=T0 + 2 * H, resolved=T0 + 3 * H), TIER, DAY)[:1]
    assert (late.due - T0, late.status(DAY), late.credit_if_missed) == (H, "missed", 5)


def test_unanswered_targets_are_pending_until_due_and_missed_after():
    [first] = case_targets(case(severity="sev3"), TIER, DAY)
    assert first.status(T0 + 8 * H) == "pending"
    assert first.status(T0 + 8 * H + 1) == "missed"


def test_a_raised_severity_brings_the_deadline_forward_a_lowered_one_never_pushes_it_back():
    raised = case(severity="sev3", changes=[(2, "sev1")])
    assert shown(case_targets(raised, TIER, DAY))[0][:3] == ("first response", "sev1", 3)
    lowered = case(severity="sev1", changes=[(0.5, "sev3")])
    assert shown(case_targets(lowered, TIER, DAY))[0][:3] == ("first response", "sev1", 1)
    # A change after the response does not move the first response's deadline.
    after = case(severity="sev3", changes=[(7, "sev1")], responded=T0 + 6 * H)
    assert shown(case_targets(after, TIER, DAY))[0] == ("first response", "sev3", 8, "met", 6)


def test_a_resolution_before_any_response_answers_the_first_response():
    assert shown(case_targets(case(resolved=T0 + H // 2), TIER, DAY)) == [
        ("first response", "sev1", 1, "met", 0.5)
    ]


def test_every_update_interval_without_an_update_is_one_miss():
    silent = case(responded=T0 + H, updates=(T0 + 14 * H,), resolved=T0 + 15 * H)
    assert shown(case_targets(silent, TIER, DAY)) == [
        ("first response", "sev1", 1, "met", 1),
        ("update", "sev1", 5, "missed", 14),
        ("update", "sev1", 9, "missed", 14),
        ("update", "sev1", 13, "missed", 14),
        ("update", "sev1", 17, "met", 14),  # the update answers what is due next
        ("update", "sev1", 18, "met", 15),  # and the resolution what is due then
    ]


def test_updates_of_an_open_case_are_due_until_the_given_instant():
    quiet = case(responded=T0 + H)
    targets = case_targets(quiet, TIER, T0 + 13 * H + 1)
    assert shown(targets, T0 + 10 * H) == [
        ("first response", "sev1", 1, "met", 1),
        ("update", "sev1", 5, "missed", None),
        ("update", "sev1", 9, "missed", None),
        ("update", "sev1", 13, "pending", None),
    ]


def test_a_severity_without_an_update_interval_stops_asking_for_updates():
    lowered = case(responded=T0 + H, changes=[(2, "sev2")])
    assert shown(case_targets(lowered, TIER, T0 + 100 * H)) == [
        ("first response", "sev1", 1, "met", 1),
        ("update", "sev1", 5, "missed", None),  # already due before the change
    ]


def test_response_credits_and_availability_credits_share_one_cap_rounded_once():
    line = ContractLine(
        line_id="core",
        service="api",
        monthly_fee=Decimal("333.33"),
        currency="EUR",
        max_credit=Decimal("30"),
    )
    availability = statement(45)  # 10 % of 1,000.00 EUR for the test's line
    availability = availability.model_copy(update={"credit": Decimal("33.33")})
    credit = line_credit(line, availability, Decimal("25"))
    assert credit.combined_percent == Decimal("30")  # 10 % + 25 % capped at 30 %
    assert credit.combined_credit == Decimal("100.00")  # 333.33 x 30 % = 99.999 -> 100.00
    assert credit.response_credit == Decimal("66.67")  # what the cap leaves after 33.33
    assert credit.availability_credit + credit.response_credit == credit.combined_credit
