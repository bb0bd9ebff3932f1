"""The portfolio: every contract line of a month, worst availability first, and the
credits owed in each currency (never added across currencies)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from sla_ledger.domain.money import minor_unit
from sla_ledger.domain.time import parse_month
from sla_ledger.reports.build import contract_line_ids
from sla_ledger.reports.model import CurrencyTotal, Portfolio, PortfolioRow, Status

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger
    from sla_ledger.domain.statement import Statement


def portfolio(ledger: SlaLedger, month: str) -> Portfolio:
    """Every line of every contract active in ``month``: its issued statement, or the
    month to date computed now (provisional)."""
    parse_month(month)
    now = ledger.clock.now()
    rows: list[PortfolioRow] = []
    for contract in ledger.contracts():
        for line_id in contract_line_ids(ledger, contract.contract_id, month):
            issued = ledger.statement_for(contract.contract_id, line_id, month)
            if issued is not None:
                rows.append(_row(ledger, issued, "issued"))
                continue
            figures = ledger.compute_statement(contract.contract_id, line_id, month, now, now)
            if figures.active:  # the contract was active in the month
                rows.append(_row(ledger, figures, "provisional"))
    rows.sort(key=lambda r: (r.availability, r.contract_id, r.line_id))
    return Portfolio(
        month=month,
        generated_at=now,
        rows=tuple(rows),
        totals=_totals(rows),
        ledger_digest=ledger.digest(),
    )


def _row(ledger: SlaLedger, s: Statement, status: Status) -> PortfolioRow:
    history = ledger.catch_up().statements.get((s.contract_id, s.line_id, s.month))
    credited = history.credited if history and status == "issued" else Decimal(0)
    return PortfolioRow(
        contract_id=s.contract_id,
        customer=s.customer,
        line_id=s.line_id,
        service=s.service,
        status=status,
        version=s.version,
        availability=s.availability,
        availability_percent=s.availability_percent,
        target=s.target,
        met=s.met,
        credit=s.credit,
        credited=_in_minor_units(credited, s.currency),
        currency=s.currency,
    )


def _totals(rows: list[PortfolioRow]) -> tuple[CurrencyTotal, ...]:
    by_currency: dict[str, list[PortfolioRow]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    return tuple(
        CurrencyTotal(
            currency=currency,
            lines=len(group),
            credit=_in_minor_units(sum((r.credit for r in group), Decimal(0)), currency),
            credited=_in_minor_units(sum((r.credited for r in group), Decimal(0)), currency),
        )
        for currency, group in sorted(by_currency.items())
    )


def _in_minor_units(amount: Decimal, currency: str) -> Decimal:
    # Amounts are already whole minor units; this only writes 0 as 0.00.
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)))
