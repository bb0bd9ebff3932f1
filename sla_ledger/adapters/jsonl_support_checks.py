"""What an import checks of support cases, exclusions and response statements: that
they refer to what the store or an earlier line holds, and keep knowledge time (R14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sla_ledger.adapters.jsonl_lines import Refused
from sla_ledger.domain import events as ev
from sla_ledger.domain.projection import LedgerState


class SupportChecks:
    """Handlers ``ImportCheck.admit`` finds for the support events; mixed into it."""

    # What they use of ImportCheck.
    _contract: Callable[[str], object]
    _service: Callable[[str], object]
    _stream_of: Callable[..., None]

    def _support_known(self, state: LedgerState) -> None:
        self.cases: set[UUID] = set(state.support.cases)
        self.exclusions: set[UUID] = set(state.support.exclusions)

    def _on_SupportCaseOpened(self, event: ev.SupportCaseOpened, line: int) -> None:
        self._contract(event.contract_id)
        if event.opened_at > event.recorded_at:
            raise Refused(
                f"support case opened_at {event.opened_at.isoformat()} is after its "
                f"recorded_at {event.recorded_at.isoformat()}: a case is recorded after it "
                "is opened"
            )
        self.cases.add(event.originator_id)

    def _case_follow_up(self, event: ev.DomainEvent, line: int) -> None:
        if event.originator_id not in self.cases:
            raise Refused(
                f"unknown support case {event.originator_id}: no SupportCaseOpened starts it"
            )

    _on_SupportCaseSeverityChanged = _case_follow_up
    _on_SupportCaseResponded = _case_follow_up
    _on_SupportCaseUpdated = _case_follow_up
    _on_SupportCaseResolved = _case_follow_up

    def _on_ExclusionRecorded(self, event: ev.ExclusionRecorded, line: int) -> None:
        for name in event.services:
            self._service(name)
        if event.contract_id is not None:
            self._contract(event.contract_id)
        _window(event.start, event.end)
        self.exclusions.add(event.originator_id)

    def _on_ExclusionWithdrawn(self, event: ev.ExclusionWithdrawn, line: int) -> None:
        if event.originator_id not in self.exclusions:
            raise Refused(
                f"unknown exclusion {event.originator_id}: no ExclusionRecorded starts it"
            )

    def _on_ResponseStatementIssued(self, event: ev.ResponseStatementIssued, line: int) -> None:
        s = event.statement
        self._stream_of(event, "response", s.contract_id, s.month)
        self._contract(s.contract_id)

    _on_ResponseStatementRestated = _on_ResponseStatementIssued

    def _on_ResponseCreditIssued(self, event: ev.ResponseCreditIssued, line: int) -> None:
        self._stream_of(event, "response", event.contract_id, event.month)
        self._contract(event.contract_id)

    _on_ResponseCreditAdjusted = _on_ResponseCreditIssued


def _window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise Refused(
            f"window [{start.isoformat()}, {end.isoformat()}) is empty: end must be after start"
        )
