"""A case's targets against a closed-form model, and the combined cap's arithmetic.

For one severity, the rules of docs/support.md say: the updates due after a
contact ``c`` are ``due(c, k x interval)`` for k = 1, 2, ...; those before the
next contact are missed (answered by it), the first one not before it is met
by it, and after the last contact of an open case they are unanswered. The
ledger computes the same targets by sweeping events in time order.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from uuid import uuid4

from hypothesis import given, note
from hypothesis import strategies as st

from sla_ledger import BusinessHours, ContractLine, OpeningHours, ResponseTarget, SupportTier
from sla_ledger.domain.money import MINOR_UNITS
from sla_ledger.domain.response import case_targets
from sla_ledger.domain.response_reckoning import line_credit
from sla_ledger.domain.support_state import Case
from tests.unit.test_comparison import statement

MINUTE = 60_000_000
START = 1_775_000_000_000_000  # 2026-03-31, a Tuesday
HOURS = BusinessHours(
    time_zone="Europe/Berlin",
    hours=(OpeningHours(days=("mon", "tue", "wed", "thu", "fri"), opens="09:00", closes="17:00"),),
)


@st.composite
def cases(draw):
    clock = draw(st.sampled_from(["calendar", "business"]))
    interval = draw(st.sampled_from([30, 60, 240, 480])) * MINUTE
    first = draw(st.sampled_from([15, 60, 240])) * MINUTE
    tier = SupportTier(
        name="t",
        business_hours=HOURS,
        targets=(
            ResponseTarget(
                severity="s",
                first_response=timedelta(microseconds=first),
                update_interval=timedelta(microseconds=interval),
                clock=clock,
            ),
        ),
    )
    offsets = sorted(
        draw(st.lists(st.integers(1, 5 * 24 * 60), min_size=1, max_size=8, unique=True))
    )
    contacts = [START + m * MINUTE + draw(st.integers(0, MINUTE - 1)) for m in offsets]
    resolved = contacts.pop() if draw(st.booleans()) and len(contacts) > 1 else None
    case = Case(
        uuid4(), "c", "", START, START, ((START, "s"),), contacts[0], tuple(contacts[1:]), resolved
    )
    until = START + draw(st.integers(1, 7 * 24 * 60)) * MINUTE
    return tier, case, until


def model(tier: SupportTier, case: Case, until: int) -> list[tuple[str, int, int | None]]:
    target = tier.targets[0]
    answer = case.responded if case.responded is not None else case.resolved
    out = [("first response", tier.due(target, case.opened_at, target.first_response_us), answer)]
    contacts = [case.responded, *case.updates, *([case.resolved] if case.resolved else [])]
    for c, after in zip(contacts, [*contacts[1:], None], strict=True):
        if c == case.resolved:
            break
        k = 1
        while True:
            due = tier.due(target, c, k * target.update_interval_us)
            if after is None:
                if due >= until:
                    break
                out.append(("update", due, None))
            else:
                out.append(("update", due, after))
                if due >= after or due >= until:
                    break
            k += 1
    return [t for t in out if t[0] == "first response" or t[1] < until]


@given(cases())
def test_update_targets_are_the_closed_form_chain_of_each_contact(drawn):
    tier, case, until = drawn
    note(f"{tier.targets[0]}\n{case}\nuntil {until}")
    got = [(t.kind, t.due, t.answered_at) for t in case_targets(case, tier, until)]
    assert got == model(tier, case, until)


_FEES = st.decimals(min_value=0, max_value=100_000, places=2)


@given(
    fee=_FEES,
    currency=st.sampled_from(["EUR", "JPY", "BHD"]),
    active_s=st.integers(1, 720 * 3600),
    tier=st.sampled_from([Decimal(0), Decimal(10), Decimal(25), Decimal(100)]),
    response=st.decimals(min_value=0, max_value=150, places=1),
    cap=st.decimals(min_value=0, max_value=100, places=1),
    minimum=st.decimals(min_value=0, max_value=50, places=0),
)
def test_availability_and_response_credits_add_up_to_the_capped_total_rounded_once(
    fee, currency, active_s, tier, response, cap, minimum
):
    digits = MINOR_UNITS[currency]
    fee = fee.quantize(Decimal(1).scaleb(-digits))
    line = ContractLine(
        line_id="core", service="api", monthly_fee=fee, currency=currency,
        max_credit=cap, minimum_credit=minimum,
    )  # fmt: skip
    base = Fraction(fee) * Fraction(active_s, 720 * 3600)  # April: 720 h
    availability = _rounded(base * min(Fraction(tier), Fraction(cap)) / 100, digits, minimum)
    s = statement().model_copy(
        update={
            "active": timedelta(seconds=active_s),
            "credit_percent": tier,
            "credit": availability,
            "currency": currency,
        }
    )
    credit = line_credit(line, s, response)
    expected = _rounded(
        base * min(Fraction(tier) + Fraction(response), Fraction(cap)) / 100, digits, minimum
    )
    assert credit.combined_credit == expected
    assert credit.availability_credit + credit.response_credit == credit.combined_credit
    assert credit.response_credit >= 0
    assert credit.combined_credit <= _rounded(base * Fraction(cap) / 100, digits, Decimal(0))


def _rounded(exact: Fraction, digits: int, minimum: Decimal) -> Decimal:
    """Half-up to ``digits`` places with Decimal's own rounding; 0 below ``minimum``."""
    with localcontext() as context:
        context.prec = 60
        value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP
        )
    return (
        value if value > 0 and value >= minimum else Decimal(0).quantize(Decimal(1).scaleb(-digits))
    )
