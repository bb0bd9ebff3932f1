"""``explain``: the derivation of one statement, replayed from the log.

An issued statement is explained from exactly the events it was computed
from: the log is replayed into a fresh state, with its Merkle digest, up to
the events the statement's ``log_digest`` covers (its ``log_position`` when it
records no digest; never past the statement's own event), the statement is
computed again from that state, and the derivation is checked against the
issued statement, digest included. A month not issued yet is explained as
computed now.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from sla_ledger import collector
from sla_ledger.adapters.jsonl import leaf_of
from sla_ledger.adapters.log_leaves import LeafStore
from sla_ledger.domain import events as ev
from sla_ledger.domain.citations import Catalogue, ReadBatch
from sla_ledger.domain.commands import aware
from sla_ledger.domain.derivation import Request, explain_statement
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.explanation import Explanation
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.statement import LogDigest
from sla_ledger.domain.time import format_instant, month_bounds, parse_month, to_us
from sla_ledger.exceptions import StoreError, UnknownReference
from sla_ledger.merkle import Frontier

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

PAGE = 500
StatementKey = tuple[str, str, str, int]  # contract, line, month, version


def explain(
    ledger: SlaLedger,
    contract_id: str,
    line_id: str,
    month: str,
    as_known_at: datetime | None = None,
) -> Explanation:
    """The full derivation of a contract line's statement for ``month``.

    Explains the issued statement (its latest version, or the one current at
    ``as_known_at``) from the events it was computed from, and lists any figure
    the derivation does not reproduce under ``discrepancies``. When none was
    issued (by ``as_known_at``), explains the month's figures as known now (or
    then), measured up to that instant. ``UnknownReference`` for a contract,
    line or month the ledger has no statement for. With the contract's response
    statement for the month, when it has response targets.
    """
    explanation = _explain(ledger, contract_id, line_id, month, as_known_at)
    shown = ledger.shown_response_statement(contract_id, month, as_known_at)
    if shown is None:
        return explanation
    status, response = shown
    return explanation.model_copy(update={"response": response, "response_status": status})


def _explain(
    ledger: SlaLedger,
    contract_id: str,
    line_id: str,
    month: str,
    as_known_at: datetime | None = None,
) -> Explanation:
    parse_month(month)
    asked = None if as_known_at is None else to_us(aware(as_known_at, "as_known_at"))
    current = ledger.catch_up()
    _check(current, contract_id, line_id, month, FOREVER if asked is None else asked)
    history = current.statements.get((contract_id, line_id, month))
    issued = history.as_known_at(FOREVER if asked is None else asked) if history else None
    read = batch_reader(ledger)
    if issued is not None:
        key = (contract_id, line_id, month, issued.version)
        # A digest counts the events the statement was computed from, in any store's
        # numbering; a statement without one gives its position in the store that issued it.
        digest = issued.log_digest
        if digest is None:
            state, catalogue = replay(ledger, issued.log_position, None, key)
        else:
            state, catalogue = replay(ledger, current.position, digest.size, key)
        request = Request(
            contract_id, line_id, month, issued, to_us(issued.known_at), as_known_at=asked
        )
        return explain_statement(state, catalogue, read, request)
    state, catalogue = replay(ledger, current.position)
    now = max(to_us(ledger.clock.now()), state.last_recorded)
    known = now if asked is None else asked
    request = Request(
        contract_id,
        line_id,
        month,
        None,
        now,
        known_at=known,
        until=known,
        as_known_at=asked,
    )
    return explain_statement(state, catalogue, read, request)


def replay(
    ledger: SlaLedger, stop: int, count: int | None = None, statement: StatementKey | None = None
) -> tuple[LedgerState, Catalogue]:
    """A fresh state, with its log digest, and a catalogue of the events at positions 1
    to ``stop``: only the first ``count`` of them if given (a statement's digest says
    how many it was computed from), and none from ``statement``'s own event on (an
    imported log is renumbered, so its ``log_position`` may lie beyond it)."""
    state, catalogue, tree = LedgerState(), Catalogue(), Frontier()
    leaves = cast(LeafStore, ledger.recorder)
    position = 0
    with collector.paused():
        while position < stop and tree.size != count:
            page = ledger.recorder.select_notifications(start=position + 1, limit=PAGE, stop=stop)
            if not page:
                break
            recorded = leaves.select_leaves(page[0].id, page[-1].id)
            for notification in page:
                event = cast(ev.DomainEvent, ledger.mapper.to_domain_event(notification))
                if tree.size == count or (statement and _is_statement(event, statement)):
                    stop = 0
                    break
                state.apply(event, notification.id)
                catalogue.note(event, notification.id)
                tree.append(recorded.get(notification.id) or leaf_of(event))
            position = page[-1].id
    state.evidence.settle()
    state.digest = LogDigest(size=tree.size, root=tree.root().hex())
    return state, catalogue


def _is_statement(event: ev.DomainEvent, key: StatementKey) -> bool:
    if not isinstance(event, ev.StatementIssued | ev.StatementRestated):
        return False
    s = event.statement
    return (s.contract_id, s.line_id, s.month, s.version) == key


def batch_reader(ledger: SlaLedger) -> ReadBatch:
    """Reads the probe batch at a log position (the last few read are kept)."""

    @lru_cache(maxsize=64)
    def read(position: int) -> ev.ProbesRecorded:
        page = ledger.recorder.select_notifications(start=position, limit=1, stop=position)
        event = ledger.mapper.to_domain_event(page[0]) if page else None
        if not isinstance(event, ev.ProbesRecorded):
            raise StoreError(f"the log holds no probe batch at position {position}")
        return event

    return read


def _check(state: LedgerState, contract_id: str, line_id: str, month: str, known: int) -> None:
    history = state.contracts.get(contract_id)
    if history is None or history.signed_at > known:
        names = ", ".join(repr(c) for c in sorted(state.contracts)) or "none"
        raise UnknownReference(f"unknown contract {contract_id!r}; the ledger's contracts: {names}")
    terms = history.terms_for(month, known)
    if terms.line(line_id) is None:
        lines = ", ".join(repr(x.line_id) for x in terms.lines)
        raise UnknownReference(
            f"contract {contract_id!r} has no line {line_id!r} in {month}; its lines: {lines}"
        )
    start, end = month_bounds(month, terms.time_zone)
    begins, ends = to_us(terms.starts_at), history.ends_at(known)
    if not max(start, begins) < min(end, ends):
        until = "" if ends >= FOREVER else f" until {format_instant(ends)}"
        raise UnknownReference(
            f"contract {contract_id!r} is not active in {month}: it runs from "
            f"{format_instant(begins)}{until}"
        )
