"""Month close for response statements and response credits (R11, R12 applied to them).

A response statement of a contract and month is issued once, on the stream
``stream_id("response", contract, month)``, together with a
``ResponseCreditIssued`` per line whose response credit is positive. It is
restated when case events recorded after it, or a new version of one of its
availability statements, change its figures; an increase of a line's response
credit is adjusted, a decrease only with clawback. Contracts that never name a
support tier cost nothing here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from uuid import UUID

from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import Decision, due_months
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.projection import ContractHistory, LedgerState, ref
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.response_reckoning import ResponseView, response_statement
from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import EventRef, Statement
from sla_ledger.domain.support_state import ResponseHistory
from sla_ledger.domain.time import from_us, to_us

Key = tuple[str, str]
"""(contract, month)"""
_Line = tuple[Statement, EventRef | None]
"""A line's availability statement, and the restatement that made it if recorded in
the same close."""


def close_due_responses(
    state: LedgerState, now: int, due_at: int | None, fresh: Sequence[Decision] = ()
) -> list[Decision]:
    """Response statements to issue or restate for due months, like ``close_due``.

    Args:
        fresh: the availability decisions of the same close, recorded before these.
    """
    when = now if due_at is None else min(due_at, now)
    keys = [
        (contract_id, month)
        for contract_id, history in state.contracts.items()
        if supported(history)
        for month in due_months(history, when)
    ]
    return decide_responses(state, keys, now, fresh)


def supported(history: ContractHistory) -> bool:
    """Whether any version of the contract's terms names a support tier."""
    return history.signed.support is not None or any(
        c.support is not None for _, _, c in history.amendments
    )


def decide_responses(
    state: LedgerState, keys: Iterable[Key], now: int, fresh: Sequence[Decision] = ()
) -> list[Decision]:
    """For each (contract, month): its first response statement (and credits), a
    restatement (and adjustments) when its figures changed, or nothing."""
    issued = _statements(fresh)
    reckoner = Reckoner(state, now)

    def availability(key: tuple[str, str, str]) -> _Line:
        if key in issued:
            return issued[key]
        history = state.statements.get(key)
        if history is not None and history.versions:
            # Restated by an earlier close (one whose response statement lost its race):
            # still the event that moves the line, and that a restatement names.
            latest = history.latest
            restated = latest is not None and latest.type == "StatementRestated"
            return history.versions[-1], latest if restated else None
        return reckoner.statement(*key), None

    decisions = []
    for contract_id, month in keys:
        decision = _decide(state, contract_id, month, now, availability)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _statements(decisions: Sequence[Decision]) -> dict[tuple[str, str, str], _Line]:
    out: dict[tuple[str, str, str], _Line] = {}
    for decision in decisions:
        for event in decision.events:
            if isinstance(event, ev.StatementIssued | ev.StatementRestated):
                s = event.statement
                restated = isinstance(event, ev.StatementRestated)
                out[(s.contract_id, s.line_id, s.month)] = (s, ref(event) if restated else None)
    return out


def _decide(
    state: LedgerState,
    contract_id: str,
    month: str,
    now: int,
    availability: Callable[[tuple[str, str, str]], _Line],
) -> Decision | None:
    def line_statement(line_id: str) -> Statement:
        return availability((contract_id, line_id, month))[0]

    record = state.support.responses.get((contract_id, month))
    if record is None or not record.versions:
        s = response_statement(
            state, contract_id, month, ResponseView(now, FOREVER, line_statement)
        )
        return None if s is None else _issue(s, now)
    previous = record.versions[-1]
    lines = [availability((contract_id, x.line_id, month)) for x in previous.lines]
    moved = [
        r
        for (s, r), x in zip(lines, previous.lines, strict=True)
        if s.version != x.statement_version
    ]
    cases = _case_events(state, contract_id, previous, record.seen)
    if not cases and not moved:
        return None
    changed_by = (*cases, *(r for r in moved if r is not None))
    view = ResponseView(now, FOREVER, line_statement, previous.version + 1, changed_by)
    s = response_statement(state, contract_id, month, view)
    if s is None or s.figures() == previous.figures():
        return None
    return _restate(state, record, s, now)


def _issue(s: ResponseStatement, now: int) -> Decision:
    """The first version, and a credit for each line whose response credit is positive."""
    stream = ev.stream_id("response", s.contract_id, s.month)
    events: list[ev.DomainEvent] = [_issued(ev.ResponseStatementIssued, stream, 1, now, s)]
    for line in s.lines:
        if line.response_credit > 0:
            version = len(events) + 1
            events.append(_credit(ev.ResponseCreditIssued, stream, version, now, s, line.line_id))
    return Decision(("response", s.contract_id, s.month), events)


def _restate(
    state: LedgerState, record: ResponseHistory, s: ResponseStatement, now: int
) -> Decision:
    """A new version, and an adjustment for each line whose response credit rose (or fell,
    with clawback)."""
    stream = ev.stream_id("response", s.contract_id, s.month)
    version = record.stream_version + 1
    events = [_issued(ev.ResponseStatementRestated, stream, version, now, s)]
    clawback = state.contracts[s.contract_id].terms_for(s.month).clawback
    for line in s.lines:
        delta = line.response_credit - record.credited.get(line.line_id, Decimal(0))
        if delta > 0 or (delta < 0 and clawback):
            version += 1
            events.append(
                _credit(ev.ResponseCreditAdjusted, stream, version, now, s, line.line_id, delta)
            )
    return Decision(("response", s.contract_id, s.month), events)


def _case_events(
    state: LedgerState, contract_id: str, previous: ResponseStatement, seen: int
) -> tuple[EventRef, ...]:
    """Case events recorded after log position ``seen`` of cases opened before the month ended."""
    events = state.support.case_events.get(contract_id, [])
    start = bisect_right(events, seen, key=lambda e: e[0])
    end = to_us(previous.period_end)
    return tuple(r for _, opened, r in events[start:] if opened < end)


def _issued(
    cls: type[ev.ResponseStatementIssued] | type[ev.ResponseStatementRestated],
    stream: UUID,
    version: int,
    now: int,
    statement: ResponseStatement,
) -> ev.DomainEvent:
    return cls(
        originator_id=stream,
        originator_version=version,
        recorded_at=from_us(now),
        statement=statement,
    )


def _credit(
    cls: type[ev.ResponseCreditIssued] | type[ev.ResponseCreditAdjusted],
    stream: UUID,
    version: int,
    now: int,
    statement: ResponseStatement,
    line_id: str,
    amount: Decimal | None = None,
) -> ev.DomainEvent:
    line = next(x for x in statement.lines if x.line_id == line_id)
    return cls(
        originator_id=stream,
        originator_version=version,
        recorded_at=from_us(now),
        contract_id=statement.contract_id,
        line_id=line_id,
        month=statement.month,
        statement_version=statement.version,
        amount=line.response_credit if amount is None else amount,
        currency=line.currency,
    )
