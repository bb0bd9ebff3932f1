"""How a line's credit follows from its availability, step by step (R10), for reports.

``measure.credit_percent`` and ``measure.credit_amount`` decide; this names the
steps between them (the tier, the prorated base, the cap, the rounding, the
minimum) so that a customer can redo the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sla_ledger.domain.measure import credit_amount, credit_percent
from sla_ledger.domain.money import minor_unit, round_half_up
from sla_ledger.domain.terms import ContractLine, CreditTier


@dataclass(frozen=True)
class CreditSteps:
    tier: CreditTier | None
    """The tier applied: the lowest ``below`` that availability is strictly under."""
    proration: Fraction
    """Active time over the month's length."""
    base: Fraction
    """The monthly fee times ``proration``, exact."""
    percent: Decimal
    capped_percent: Decimal
    """``percent``, at most the line's ``max_credit``."""
    exact: Fraction
    """``base`` times ``capped_percent``, before rounding."""
    rounded: Decimal
    """``exact`` rounded half-up to the currency's minor unit."""
    minor_unit: int
    below_minimum: bool
    """Whether a positive rounded amount fell under ``minimum_credit`` and is not issued."""
    credit: Decimal


def credit_steps(
    line: ContractLine, availability: Fraction, active_us: int, month_us: int
) -> CreditSteps:
    """The steps from an availability to the credit, for a line and a month."""
    percent = credit_percent(availability, line)
    applicable = [t for t in line.credit_schedule if availability * 100 < Fraction(t.below)]
    tier = min(applicable, key=lambda t: t.below) if applicable else None
    assert (tier.credit if tier else Decimal(0)) == percent
    proration = Fraction(active_us, month_us)
    base = Fraction(line.monthly_fee) * proration
    capped = min(percent, line.max_credit)
    exact = base * Fraction(capped) / 100
    rounded = round_half_up(exact, line.currency)
    credit = credit_amount(base, percent, line)
    return CreditSteps(
        tier=tier,
        proration=proration,
        base=base,
        percent=percent,
        capped_percent=capped,
        exact=exact,
        rounded=rounded,
        minor_unit=minor_unit(line.currency),
        below_minimum=0 < rounded < line.minimum_credit,
        credit=credit,
    )
