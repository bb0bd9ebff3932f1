"""One response statement from the ledger's state: a contract's support cases in a month,
their targets, and response credits combined with availability credits (docs/support.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from sla_ledger.domain.measure import credit_amount
from sla_ledger.domain.money import round_half_up
from sla_ledger.domain.projection import ContractHistory, LedgerState
from sla_ledger.domain.response import Target, case_targets
from sla_ledger.domain.response_statement import (
    CaseSummary,
    CaseTarget,
    LineCredit,
    ResponseStatement,
)
from sla_ledger.domain.statement import EventRef, Statement
from sla_ledger.domain.support_state import Case
from sla_ledger.domain.support_terms import SupportTier
from sla_ledger.domain.terms import ContractLine
from sla_ledger.domain.terms_hash import terms_in_force
from sla_ledger.domain.time import from_us, month_bounds, month_of
from sla_ledger.exceptions import UnknownReference

Availability = Callable[[str], Statement]
"""The availability statement of a line of the same contract and month, by line id."""

WORST = 5


@dataclass(frozen=True)
class ResponseView:
    """What a response statement is computed from, besides the state."""

    now: int
    known_at: int
    availability: Availability
    version: int = 1
    changed_by: tuple[EventRef, ...] = ()


def response_statement(
    state: LedgerState, contract_id: str, month: str, view: ResponseView
) -> ResponseStatement | None:
    """The response statement of a contract's month, or None when its terms name no
    support tier and no case has a target due in it."""
    history = state.contracts.get(contract_id)
    if history is None or history.signed_at > view.known_at:
        raise UnknownReference(f"unknown contract {contract_id!r}")
    terms = history.terms_for(month, view.known_at)
    start, end = month_bounds(month, terms.time_zone)
    horizon = min(view.known_at, view.now)
    cases, targets = _month_of_cases(state, history, contract_id, (start, end), view.known_at)
    if terms.support is None and not targets:
        return None
    targets.sort(key=lambda t: (t.due, str(t.case_id), t.kind))
    judged = [_judged(t, horizon) for t in targets]
    missed = [t for t in judged if t.status == "missed"]
    percent = sum((t.credit_percent for t in missed), Decimal(0))
    return ResponseStatement(
        contract_id=contract_id,
        customer=terms.customer,
        month=month,
        version=view.version,
        time_zone=terms.time_zone,
        tier=None if terms.support is None else terms.support.name,
        period_start=from_us(start),
        period_end=from_us(end),
        cases=tuple(sorted(cases, key=lambda c: (c.opened_at, str(c.case_id)))),
        targets=tuple(judged),
        met=sum(t.status == "met" for t in judged),
        missed=len(missed),
        pending=sum(t.status == "pending" for t in judged),
        worst_misses=tuple(sorted(missed, key=_worst)[:WORST]),
        response_credit_percent=percent,
        lines=tuple(line_credit(x, view.availability(x.line_id), percent) for x in terms.lines),
        terms=terms_in_force(history, month, view.known_at),
        changed_by=view.changed_by,
        log_position=state.position,
        known_at=from_us(horizon),
        log_digest=state.digest,
    )


def _month_of_cases(
    state: LedgerState,
    history: ContractHistory,
    contract_id: str,
    month: tuple[int, int],
    known_at: int,
) -> tuple[list[CaseSummary], list[Target]]:
    """The contract's cases with a target due in the month or opened in it, and those
    targets (none due at or after the contract's end)."""
    start, end = month
    until = min(end, history.ends_at(known_at))
    cases, targets = [], []
    for case in state.support.cases_of(contract_id):
        known = case.known(known_at)
        tier = None if known is None else case_tier(history, known, known_at)
        if known is None or tier is None:
            continue
        due = [t for t in case_targets(known, tier, until) if start <= t.due < until]
        if due or start <= known.opened_at < end:
            cases.append(case_summary(known))
            targets += due
    return cases, targets


def case_tier(history: ContractHistory, case: Case, known_at: int) -> SupportTier | None:
    """The tier a case is held to: that of the terms of the month it was opened in."""
    zone = history.signed.time_zone
    return history.terms_for(month_of(case.opened_at, zone), known_at).support


def line_credit(line: ContractLine, statement: Statement, response_percent: Decimal) -> LineCredit:
    """A line's credits under one cap: base x min(availability % + response %, max_credit),
    rounded once; the response credit is what that adds to the availability credit."""
    base = Fraction(line.monthly_fee) * Fraction(statement.active_us, statement.month_us)
    combined_percent = min(statement.credit_percent + response_percent, line.max_credit)
    combined = credit_amount(base, combined_percent, line)
    response = combined - statement.credit
    assert response >= 0, (combined, statement.credit)  # rounding is monotonic
    return LineCredit(
        line_id=line.line_id,
        currency=line.currency,
        statement_version=statement.version,
        base=round_half_up(base, line.currency),
        availability_percent=statement.credit_percent,
        response_percent=response_percent,
        combined_percent=combined_percent,
        combined_credit=combined,
        availability_credit=statement.credit,
        response_credit=response,
    )


def _judged(t: Target, horizon: int) -> CaseTarget:
    status = t.status(horizon)
    late = t.answered_at - t.due if t.answered_at is not None and status == "missed" else None
    return CaseTarget(
        case_id=t.case_id,
        kind=t.kind,
        severity=t.severity,
        clock=t.clock,
        due=from_us(t.due),
        answered_at=None if t.answered_at is None else from_us(t.answered_at),
        status=status,
        late_by=None if late is None else timedelta(microseconds=late),
        credit_percent=t.credit_if_missed if status == "missed" else Decimal(0),
    )


def _worst(t: CaseTarget) -> tuple[int, object, str]:
    # Unanswered first, earliest due first; then the latest answers first.
    if t.late_by is None:
        return (0, t.due, str(t.case_id))
    return (1, -t.late_by, str(t.case_id))


def case_summary(case: Case) -> CaseSummary:
    """A case as a statement lists it."""
    return CaseSummary(
        case_id=case.case_id,
        subject=case.subject,
        severity=case.severity,
        opened_at=from_us(case.opened_at),
        recorded_at=from_us(case.recorded_at),
        first_response_at=None if case.responded is None else from_us(case.responded),
        resolved_at=None if case.resolved is None else from_us(case.resolved),
    )
