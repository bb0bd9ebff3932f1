"""A statement as known at two instants, and the difference between the two views (R14)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sla_ledger.domain.closing import touching
from sla_ledger.domain.commands import aware
from sla_ledger.domain.comparison import StatementDiff, compare
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.projection import ContractHistory, LedgerState
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.time import from_us, parse_month, to_us
from sla_ledger.exceptions import InvalidEvidence, UnknownReference

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger


def statement_diff(
    ledger: SlaLedger,
    contract_id: str,
    line_id: str,
    month: str,
    before: datetime,
    after: datetime | None = None,
    issued: bool = False,
) -> StatementDiff:
    """How a contract line's month looked as known at ``before``, and at ``after``.

    Args:
        before: the earlier instant of knowledge: only events recorded by then count.
        after: the later one; default: everything recorded so far.
        issued: compare the issued statement versions current at those instants
            (``UnknownReference`` if none was), not the figures computed from what
            was known then.

    The diff's ``evidence`` lists the events recorded after ``before`` and by
    ``after`` that bear on the line's service over the month, by the rule that
    names the events behind a restatement (R12).
    """
    parse_month(month)
    start, end = _instants(before, after)
    state = ledger.catch_up()
    history = _contract(state, contract_id, start)
    first, second = (
        _issued(ledger, contract_id, line_id, month, at)
        if issued
        else ledger.compute_statement(contract_id, line_id, month, at)
        for at in (before, after)
    )
    terms = history.terms_for(month, end)
    evidence = [t.ref for t in touching(state, second, terms) if start < t.recorded <= end]
    return compare(first, second, evidence)


def contract_lines(
    ledger: SlaLedger, contract_id: str, month: str, known_at: datetime | None = None
) -> list[str]:
    """The line ids of a contract's terms for ``month``, as known at ``known_at``."""
    parse_month(month)
    known = FOREVER if known_at is None else to_us(aware(known_at, "known_at"))
    history = _contract(ledger.catch_up(), contract_id, known)
    return [line.line_id for line in history.terms_for(month, known).lines]


def _instants(before: datetime, after: datetime | None) -> tuple[int, int]:
    start = to_us(aware(before, "before"))
    if after is None:
        return start, FOREVER
    end = to_us(aware(after, "after"))
    if start > end:
        raise InvalidEvidence(
            f"before {before.isoformat()} is later than after {after.isoformat()}: "
            "give the earlier instant first"
        )
    return start, end


def _contract(state: LedgerState, contract_id: str, known_at: int) -> ContractHistory:
    history = state.contracts.get(contract_id)
    if history is None:
        raise UnknownReference(f"unknown contract {contract_id!r}")
    if history.signed_at > known_at:
        raise UnknownReference(
            f"contract {contract_id!r} was recorded at {from_us(history.signed_at).isoformat()}, "
            f"after {from_us(known_at).isoformat()}: nothing was known of it then"
        )
    return history


def _issued(
    ledger: SlaLedger, contract_id: str, line_id: str, month: str, at: datetime | None
) -> Statement:
    found = ledger.statement_for(contract_id, line_id, month, at)
    if found is None:
        by = "so far" if at is None else f"by {at.isoformat()}"
        raise UnknownReference(
            f"no statement of contract {contract_id!r} line {line_id!r} for {month} "
            f"had been issued {by}"
        )
    return found
