"""Month close and restatement as decisions over the state (SPEC R11, R12).

``close_due`` returns the events to record; the application records them in
one transaction per statement stream, so two closers collide instead of
issuing twice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sla_ledger.domain import events as ev
from sla_ledger.domain.projection import ContractHistory, LedgerState, Touch
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.statement import EventRef, Statement
from sla_ledger.domain.terms import Contract
from sla_ledger.domain.time import duration_us, from_us, month_bounds, month_of, next_month, to_us


@dataclass(frozen=True)
class Decision:
    """The events to record for one statement stream."""

    key: tuple[str, str, str]
    events: list[ev.DomainEvent]


def due_months(history: ContractHistory, now: int) -> list[str]:
    """Months of a contract whose end plus grace has passed and that it was active in (R11)."""
    first = month_of(to_us(history.signed.starts_at), history.signed.time_zone)
    ends = history.ends_at()
    months: list[str] = []
    month = first
    while True:
        terms = history.terms_for(month)
        start, end = month_bounds(month, terms.time_zone)
        if start >= ends or now <= end + duration_us(terms.grace):  # R11: 'passes'
            return months
        if max(start, to_us(history.signed.starts_at)) < min(end, ends):  # active in it
            months.append(month)
        month = next_month(month)


def close_due(state: LedgerState, now: int, due_at: int | None = None) -> list[Decision]:
    """Statements to issue for due months, and restatements where new evidence changed one.

    Args:
        now: the ledger clock's time, stamped on what is recorded (R14).
        due_at: decide what is due as of this instant instead (never after ``now``).
    """
    keys = [
        (contract_id, line.line_id, month)
        for contract_id, history in state.contracts.items()
        for month in due_months(history, now if due_at is None else min(due_at, now))
        for line in history.terms_for(month).lines
    ]
    return decide(state, keys, now)


def decide(state: LedgerState, keys: Iterable[tuple[str, str, str]], now: int) -> list[Decision]:
    """For each ``(contract, line, month)``: its first statement (and credit), a
    restatement (and adjustment) if new evidence changed its figures, or nothing.

    Args:
        now: the ledger clock's time, stamped on what is recorded (R14).
    """
    reckoner = Reckoner(state, now)
    decisions = []
    for key in keys:
        decision = _decide(state, reckoner, key, state.contracts[key[0]], now)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _decide(
    state: LedgerState,
    reckoner: Reckoner,
    key: tuple[str, str, str],
    history: ContractHistory,
    now: int,
) -> Decision | None:
    contract_id, line_id, month = key
    record = state.statements.get(key)
    stream = ev.stream_id("statement", *key)
    recorded_at = from_us(now)
    if record is None or not record.versions:
        statement = reckoner.statement(contract_id, line_id, month)
        events: list[ev.DomainEvent] = [
            ev.StatementIssued(
                originator_id=stream,
                originator_version=1,
                recorded_at=recorded_at,
                statement=statement,
            )
        ]
        if statement.credit > 0:
            events.append(
                _credit(ev.CreditIssued, stream, 2, recorded_at, statement, statement.credit)
            )
        return Decision(key, events)
    previous = record.versions[-1]
    changes = _new_evidence(state, previous, record.seen, history)
    if not changes:
        return None
    statement = reckoner.statement(contract_id, line_id, month, previous.version + 1, changes)
    if statement.figures() == previous.figures():
        return None
    version = record.stream_version + 1
    events = [
        ev.StatementRestated(
            originator_id=stream,
            originator_version=version,
            recorded_at=recorded_at,
            statement=statement,
        )
    ]
    clawback = history.terms_for(month).clawback
    delta = statement.credit - record.credited
    if delta > 0 or (delta < 0 and clawback):
        events.append(
            _credit(ev.CreditAdjusted, stream, version + 1, recorded_at, statement, delta)
        )
    return Decision(key, events)


def _new_evidence(
    state: LedgerState, previous: Statement, seen: int, history: ContractHistory
) -> tuple[EventRef, ...]:
    """Evidence recorded after ``previous`` that bears on its service and month."""
    return tuple(t.ref for t in touching(state, previous, history.terms_for(previous.month), seen))


def touching(
    state: LedgerState, statement: Statement, terms: Contract, after: int = 0
) -> list[Touch]:
    """Evidence folded after log position ``after`` that bears on ``statement``'s service
    over its month (widened by ``min_downtime``, as R7 judges periods whole): the events
    that may change its figures (R12), in log order."""
    margin = duration_us(terms.min_downtime)
    lo, hi = to_us(statement.period_start) - margin, to_us(statement.period_end) + margin
    touches = state.touches.get(statement.service, [])
    # Touches are folded in log order: only the tail after ``after`` can be new.
    start = bisect_right(touches, after, key=lambda t: t.position)
    return [t for t in touches[start:] if t.lo < hi and t.hi > lo]


def _credit(
    cls: type[ev.CreditIssued] | type[ev.CreditAdjusted],
    stream: UUID,
    version: int,
    recorded_at: datetime,
    statement: Statement,
    amount: Decimal,
) -> ev.DomainEvent:
    return cls(
        originator_id=stream,
        originator_version=version,
        recorded_at=recorded_at,
        contract_id=statement.contract_id,
        line_id=statement.line_id,
        month=statement.month,
        statement_version=statement.version,
        amount=amount,
        currency=statement.currency,
    )
