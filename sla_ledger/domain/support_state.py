"""Support cases, exclusions and response statements folded from the log.

``SupportFold`` adds their handlers to ``LedgerState``; what it folds lives in
``LedgerState.support``. Every instant of a case but its opening is the
recording instant of the event that says it (R14), so a case as known at an
instant is its events recorded by then.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from uuid import UUID

from sla_ledger.domain import events as ev
from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import EventRef
from sla_ledger.domain.time import to_us


@dataclass(frozen=True)
class Case:
    """A support case; ``severities`` holds ``(since, severity)``, the first since opening."""

    case_id: UUID
    contract_id: str
    subject: str
    opened_at: int
    recorded_at: int
    severities: tuple[tuple[int, str], ...]
    responded: int | None = None
    updates: tuple[int, ...] = ()
    resolved: int | None = None
    version: int = 1

    def known(self, known_at: int) -> Case | None:
        """The case as known at ``known_at``; None before its opening was recorded."""
        if self.recorded_at > known_at:
            return None
        first, *changes = self.severities
        return replace(
            self,
            severities=(first, *(c for c in changes if c[0] <= known_at)),
            responded=_by(self.responded, known_at),
            updates=tuple(u for u in self.updates if u <= known_at),
            resolved=_by(self.resolved, known_at),
        )

    @property
    def severity(self) -> str:
        return self.severities[-1][1]


def _by(instant: int | None, known_at: int) -> int | None:
    return instant if instant is not None and instant <= known_at else None


@dataclass(frozen=True)
class Exclusion:
    """An exclusion decision (docs/rules.md, "Exclusions") and its withdrawal, if any."""

    event: ev.ExclusionRecorded
    recorded_at: int
    start: int
    end: int
    withdrawn: int | None = None
    version: int = 1


@dataclass
class ResponseHistory:
    """The versions of one contract's response statement for one month, and its credits."""

    stream_version: int = 0
    versions: list[ResponseStatement] = field(default_factory=list)
    credited: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    seen: int = 0
    """The log position the latest version was computed from."""

    def as_known_at(self, known_at: int) -> ResponseStatement | None:
        known = [s for s in self.versions if to_us(s.known_at) <= known_at]
        return known[-1] if known else None


@dataclass
class SupportState:
    cases: dict[UUID, Case] = field(default_factory=dict)
    case_events: dict[str, list[tuple[int, int, EventRef]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Per contract: ``(position, case opened_at, ref)`` of every case event, in log order."""
    exclusions: dict[UUID, Exclusion] = field(default_factory=dict)
    responses: dict[tuple[str, str], ResponseHistory] = field(
        default_factory=lambda: defaultdict(ResponseHistory)
    )

    def cases_of(self, contract_id: str) -> list[Case]:
        return [c for c in self.cases.values() if c.contract_id == contract_id]


def _ref(event: ev.DomainEvent) -> EventRef:
    return EventRef(
        type=type(event).__name__,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        recorded_at=event.recorded_at,
    )


class SupportFold:
    """The handlers ``LedgerState.apply`` finds for support cases, exclusions and
    response statements."""

    # What they use of LedgerState, which mixes them in.
    support: SupportState
    positions: array[int]
    _touch: Callable[[Mapping[str, tuple[int, int]], ev.DomainEvent, int], None]

    def _case(self, event: ev.DomainEvent, position: int, case: Case) -> None:
        case = replace(case, version=event.originator_version)
        self.support.cases[case.case_id] = case
        self.support.case_events[case.contract_id].append((position, case.opened_at, _ref(event)))

    def _on_SupportCaseOpened(
        self, event: ev.SupportCaseOpened, position: int, recorded: int
    ) -> None:
        opened = to_us(event.opened_at)
        case = Case(
            event.originator_id,
            event.contract_id,
            event.subject,
            opened,
            recorded,
            ((opened, event.severity),),
        )
        self._case(event, position, case)

    def _on_SupportCaseSeverityChanged(
        self, event: ev.SupportCaseSeverityChanged, position: int, recorded: int
    ) -> None:
        case = self.support.cases[event.originator_id]
        changed = replace(case, severities=(*case.severities, (recorded, event.severity)))
        self._case(event, position, changed)

    def _on_SupportCaseResponded(
        self, event: ev.SupportCaseResponded, position: int, recorded: int
    ) -> None:
        case = self.support.cases[event.originator_id]
        self._case(event, position, replace(case, responded=recorded))

    def _on_SupportCaseUpdated(
        self, event: ev.SupportCaseUpdated, position: int, recorded: int
    ) -> None:
        case = self.support.cases[event.originator_id]
        self._case(event, position, replace(case, updates=(*case.updates, recorded)))

    def _on_SupportCaseResolved(
        self, event: ev.SupportCaseResolved, position: int, recorded: int
    ) -> None:
        case = self.support.cases[event.originator_id]
        self._case(event, position, replace(case, resolved=recorded))

    def _on_ExclusionRecorded(
        self, event: ev.ExclusionRecorded, position: int, recorded: int
    ) -> None:
        start, end = to_us(event.start), to_us(event.end)
        self.support.exclusions[event.originator_id] = Exclusion(event, recorded, start, end)
        self._touch(dict.fromkeys(event.services, (start, end)), event, position)

    def _on_ExclusionWithdrawn(
        self, event: ev.ExclusionWithdrawn, position: int, recorded: int
    ) -> None:
        exclusion = self.support.exclusions[event.originator_id]
        withdrawn = replace(exclusion, withdrawn=recorded, version=event.originator_version)
        self.support.exclusions[event.originator_id] = withdrawn
        span = (exclusion.start, exclusion.end)
        self._touch(dict.fromkeys(exclusion.event.services, span), event, position)

    def _response(
        self,
        event: ev.ResponseStatementIssued | ev.ResponseStatementRestated,
        position: int,
    ) -> None:
        s = event.statement
        history = self.support.responses[(s.contract_id, s.month)]
        history.versions.append(s)
        history.stream_version = event.originator_version
        digest = s.log_digest
        if digest is not None and 0 < digest.size <= len(self.positions):
            history.seen = self.positions[digest.size - 1]  # as for availability statements
        else:
            history.seen = min(s.log_position, position - 1)

    def _on_ResponseStatementIssued(
        self, event: ev.ResponseStatementIssued, position: int, recorded: int
    ) -> None:
        self._response(event, position)

    def _on_ResponseStatementRestated(
        self, event: ev.ResponseStatementRestated, position: int, recorded: int
    ) -> None:
        self._response(event, position)

    def _response_credit(self, event: ev.ResponseCreditIssued | ev.ResponseCreditAdjusted) -> None:
        history = self.support.responses[(event.contract_id, event.month)]
        history.credited[event.line_id] += event.amount
        history.stream_version = event.originator_version

    def _on_ResponseCreditIssued(
        self, event: ev.ResponseCreditIssued, position: int, recorded: int
    ) -> None:
        self._response_credit(event)

    def _on_ResponseCreditAdjusted(
        self, event: ev.ResponseCreditAdjusted, position: int, recorded: int
    ) -> None:
        self._response_credit(event)
