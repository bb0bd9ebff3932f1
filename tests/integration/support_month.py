"""April 2026 of ``acme`` with a support tier: two cases, one first response missed.

(UTC, 720 h, 1,000.00 EUR, the 45-minute outage of SPEC's first worked example:
10 % availability credit.) Tier ``gold``: sev1 answered within an hour and
updated every four hours, 5 % per missed first response and 1 % per missed
update; sev3 answered within eight business hours (Monday to Friday,
09:00-17:00 UTC), 2 % per miss.

- Case A, sev1, opened Sunday 12 April 07:00: answered 07:30, updated 11:00,
  resolved 14:00. Three targets, all met.
- Case B, sev3, opened Friday 17 April 16:00: eight business hours end on
  Monday 20 April at 16:00; answered 17:30. Missed by 1 h 30 min: 2 %.

Closed at ``CLOSE``: availability 100.00 EUR, response 20.00 EUR (10 % + 2 %
of 1,000.00 EUR = 120.00 EUR under the 100 % cap).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sla_ledger import (
    BusinessHours,
    Contract,
    ContractLine,
    OpeningHours,
    ResponseTarget,
    SupportTier,
)
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    record_month,
)

CLOSE = datetime(2026, 5, 1, 2, tzinfo=UTC)
OUTAGE = (at(10, 12), at(10, 12, 45))
GOLD = SupportTier(
    name="gold",
    business_hours=BusinessHours(
        time_zone="UTC",
        hours=(
            OpeningHours(days=("mon", "tue", "wed", "thu", "fri"), opens="09:00", closes="17:00"),
        ),
    ),
    targets=(
        ResponseTarget(
            severity="sev1",
            first_response=timedelta(hours=1),
            update_interval=timedelta(hours=4),
            first_response_credit=Decimal("5"),
            update_credit=Decimal("1"),
        ),
        ResponseTarget(
            severity="sev3",
            first_response=timedelta(hours=8),
            clock="business",
            first_response_credit=Decimal("2"),
        ),
    ),
)


def build(url: str, close: bool = True, max_credit: str = "100", **terms: object):
    """The month, closed at ``CLOSE`` unless ``close`` is false; returns (ledger, clock, cases).

    Args:
        max_credit: the line's cap, percent of its fee.
    """
    ledger, clock = new_ledger(url)
    ledger.register_service(api_service())
    terms = {"support": GOLD, "exclusion_categories": ("customer-caused",), **terms}
    signed = contract(**terms)
    line = ContractLine(**{**signed.lines[0].model_dump(), "max_credit": Decimal(max_credit)})
    ledger.sign_contract(Contract(**{**signed.model_dump(), "lines": (line,)}))
    record_month(ledger, APRIL, at(12, 7), down=[OUTAGE])
    clock.set(at(12, 7))
    a = ledger.open_case("acme", "sev1", subject="API errors")
    for when, step in [
        (at(12, 7, 30), ledger.respond),
        (at(12, 11), ledger.update_case),
        (at(12, 14), ledger.resolve_case),
    ]:
        clock.set(when)
        step(a)
    record_month(ledger, at(12, 7), at(17, 16))
    clock.set(at(17, 16))
    b = ledger.open_case("acme", "sev3", subject="invoice question")
    record_month(ledger, at(17, 16), at(20, 17, 30))
    clock.set(at(20, 17, 30))
    ledger.respond(b, "answered")
    record_month(ledger, at(20, 17, 30), MAY + timedelta(hours=1))
    if close:
        clock.set(CLOSE)
        ledger.close_due_months()
    return ledger, clock, {"a": a, "b": b}
