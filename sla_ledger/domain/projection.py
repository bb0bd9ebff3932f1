"""The ledger's state as a fold over its events, queryable as known at any instant."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import FOREVER, EvidenceIndex, parse_probe_id
from sla_ledger.domain.measure import Announcement
from sla_ledger.domain.statement import EventRef, LogDigest, Statement
from sla_ledger.domain.support_state import SupportFold, SupportState
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.domain.time import duration_us, to_us


def ref(event: ev.DomainEvent) -> EventRef:
    return EventRef(
        type=type(event).__name__,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        recorded_at=event.recorded_at,
    )


@dataclass(slots=True)
class Touch:
    """Evidence that bears on a service over ``[lo, hi)``, for restatements (R12)."""

    position: int
    recorded: int
    lo: int
    hi: int
    ref: EventRef


@dataclass
class ContractHistory:
    signed: Contract
    signed_at: int
    version: int = 1
    amendments: list[tuple[int, str, Contract]] = field(default_factory=list)
    termination: tuple[int, int] | None = None  # (recorded, ends_at)
    term_versions: list[int] = field(default_factory=lambda: [1])
    """The stream version that recorded each version of the terms: signed, then amendments."""

    def terms_for(self, month: str, known_at: int = FOREVER) -> Contract:
        terms = self.signed
        for recorded, effective, contract in self.amendments:
            if recorded <= known_at and effective <= month:
                terms = contract
        return terms

    def latest_terms(self, known_at: int = FOREVER) -> Contract:
        known = [c for recorded, _, c in self.amendments if recorded <= known_at]
        return known[-1] if known else self.signed

    def ends_at(self, known_at: int = FOREVER) -> int:
        if self.termination and self.termination[0] <= known_at:
            return self.termination[1]
        return FOREVER


@dataclass
class Incident:
    services: tuple[str, ...]
    start: int
    declared_at: int
    end: int | None
    resolutions: list[tuple[int, int]] = field(default_factory=list)  # (recorded, end)
    version: int = 1

    def interval(self, known_at: int) -> tuple[int, int] | None:
        if self.declared_at > known_at:
            return None
        end = self.end
        for recorded, resolved in self.resolutions:
            if recorded <= known_at:
                end = resolved
        return self.start, FOREVER if end is None else end


@dataclass
class MaintenanceHistory:
    announcement_id: UUID
    services: tuple[str, ...]
    versions: list[tuple[int, int, int, bool]]  # (recorded, start, end, cancelled)

    def as_known_at(self, known_at: int) -> Announcement | None:
        known = [v for v in self.versions if v[0] <= known_at]
        if not known:
            return None
        cancelled = any(v[3] for v in known)
        schedules = [v for v in known if not v[3]]
        recorded, start, end, _ = schedules[-1]
        return Announcement(self.announcement_id, self.services, start, end, recorded, cancelled)


@dataclass
class StatementHistory:
    stream_version: int = 0
    versions: list[Statement] = field(default_factory=list)
    credited: Decimal = Decimal(0)
    seen: int = 0
    """The log position the latest version was computed from, in this store's numbering."""
    latest: EventRef | None = None
    """The event that recorded the latest version."""

    def as_known_at(self, known_at: int = FOREVER) -> Statement | None:
        known = [s for s in self.versions if to_us(s.known_at) <= known_at]
        return known[-1] if known else None


class LedgerState(SupportFold):
    """Services, contracts, evidence and statements folded from the log in order."""

    def __init__(self) -> None:
        self.position = 0
        self.last_recorded = 0
        self.positions = array("q")  # the position of each event folded, in log order
        self.digest: LogDigest | None = None
        """The digest of the log folded so far, kept by whoever folds it."""
        self.region: str | None = None
        self.bound_at = 0  # the position of the binding (0: unbound)
        self.transfers: list[ev.RegionTransferAuthorised] = []
        self.services: dict[str, tuple[int, Service]] = {}
        self.target_service: dict[str, str] = {}
        self._stalenesses: dict[str, int] = {}
        self.contracts: dict[str, ContractHistory] = {}
        self.incidents: dict[UUID, Incident] = {}
        self.maintenance: dict[UUID, MaintenanceHistory] = {}
        self.evidence = EvidenceIndex()
        self.touches: dict[str, list[Touch]] = defaultdict(list)
        self.corrections: dict[str, list[Touch]] = defaultdict(list)
        self.statements: dict[tuple[str, str, str], StatementHistory] = defaultdict(
            StatementHistory
        )
        self.support = SupportState()  # cases, exclusions, response statements

    def apply(self, event: ev.DomainEvent, position: int) -> None:
        handler = getattr(self, "_on_" + type(event).__name__)
        recorded = to_us(event.recorded_at)
        handler(event, position, recorded)
        self.positions.append(position)
        self.position = max(self.position, position)
        self.last_recorded = max(self.last_recorded, recorded)

    def service_at(self, service_id: str, known_at: int = FOREVER) -> Service | None:
        entry = self.services.get(service_id)
        return entry[1] if entry and entry[0] <= known_at else None

    def _touch(
        self,
        spans: Mapping[str, tuple[int, int]],
        event: ev.DomainEvent,
        position: int,
        correction: bool = False,
    ) -> None:
        recorded, event_ref = to_us(event.recorded_at), ref(event)  # one ref per event
        for service, (lo, hi) in spans.items():
            touch = Touch(position, recorded, lo, hi, event_ref)
            self.touches[service].append(touch)
            if correction:
                self.corrections[service].append(touch)

    def _on_LedgerBound(self, event: ev.LedgerBound, position: int, recorded: int) -> None:
        self.region, self.bound_at = event.region, position

    def _on_RegionTransferAuthorised(
        self, event: ev.RegionTransferAuthorised, position: int, recorded: int
    ) -> None:
        self.transfers.append(event)

    def _on_ServiceRegistered(
        self, event: ev.ServiceRegistered, position: int, recorded: int
    ) -> None:
        service = event.service
        self.services[service.service_id] = (recorded, service)
        for target in service.targets():
            self.target_service[target] = service.service_id

    def _on_ProbesRecorded(self, event: ev.ProbesRecorded, position: int, recorded: int) -> None:
        spans: dict[str, tuple[int, int]] = {}
        for series in event.series:
            if not series.at:
                continue
            service_id = self.target_service[series.target]
            staleness = self._staleness(service_id)
            self.evidence.add(
                series.target, series.location, staleness, recorded, series.at, series.ok
            )
            lo, hi = spans.get(service_id, (series.at[0], series.at[-1]))
            spans[service_id] = (min(lo, series.at[0]), max(hi, series.at[-1] + staleness))
        self._touch(spans, event, position)

    def _on_ProbesInvalidated(
        self, event: ev.ProbesInvalidated, position: int, recorded: int
    ) -> None:
        spans: dict[str, tuple[int, int]] = {}
        for text in event.probe_ids:
            target, location, at, ok = parse_probe_id(text)
            service_id = self.target_service[target]
            staleness = self._staleness(service_id)
            self.evidence.invalidate(target, location, staleness, at, ok, recorded)
            lo, hi = spans.get(service_id, (at, at + staleness))
            spans[service_id] = (min(lo, at), max(hi, at + staleness))
        self._touch(spans, event, position, correction=True)

    def _staleness(self, service_id: str) -> int:
        staleness = self._stalenesses.get(service_id)
        if staleness is None:
            service = self.services[service_id][1]
            staleness = self._stalenesses[service_id] = duration_us(service.effective_staleness)
        return staleness

    def _on_IncidentDeclared(
        self, event: ev.IncidentDeclared, position: int, recorded: int
    ) -> None:
        start = to_us(event.start)
        end = to_us(event.end) if event.end else None
        self.incidents[event.originator_id] = Incident(event.services, start, recorded, end)
        self._touch(
            dict.fromkeys(event.services, (start, FOREVER if end is None else end)), event, position
        )

    def _on_IncidentResolved(
        self, event: ev.IncidentResolved, position: int, recorded: int
    ) -> None:
        incident = self.incidents[event.originator_id]
        end = to_us(event.end)
        previous = incident.interval(recorded)
        incident.resolutions.append((recorded, end))
        incident.version = event.originator_version
        lo = min(end, previous[1]) if previous else end
        self._touch(dict.fromkeys(incident.services, (lo, FOREVER)), event, position)

    def _on_MaintenanceAnnounced(
        self, event: ev.MaintenanceAnnounced, position: int, recorded: int
    ) -> None:
        start, end = to_us(event.start), to_us(event.end)
        self.maintenance[event.originator_id] = MaintenanceHistory(
            event.originator_id, event.services, [(recorded, start, end, False)]
        )
        self._touch(dict.fromkeys(event.services, (start, end)), event, position)

    def _on_MaintenanceRescheduled(
        self, event: ev.MaintenanceRescheduled, position: int, recorded: int
    ) -> None:
        history = self.maintenance[event.originator_id]
        _, old_start, old_end, _ = history.versions[-1]
        start, end = to_us(event.start), to_us(event.end)
        history.versions.append((recorded, start, end, False))
        span = (min(start, old_start), max(end, old_end))
        self._touch(dict.fromkeys(history.services, span), event, position)

    def _on_MaintenanceCancelled(
        self, event: ev.MaintenanceCancelled, position: int, recorded: int
    ) -> None:
        history = self.maintenance[event.originator_id]
        _, start, end, _ = history.versions[-1]
        history.versions.append((recorded, start, end, True))
        self._touch(dict.fromkeys(history.services, (start, end)), event, position)

    def _on_ContractSigned(self, event: ev.ContractSigned, position: int, recorded: int) -> None:
        self.contracts[event.contract.contract_id] = ContractHistory(event.contract, recorded)

    def _on_ContractAmended(self, event: ev.ContractAmended, position: int, recorded: int) -> None:
        history = self.contracts[event.contract.contract_id]
        history.amendments.append((recorded, event.effective_month, event.contract))
        history.term_versions.append(event.originator_version)
        history.version = event.originator_version

    def _on_ContractTerminationNoticed(
        self, event: ev.ContractTerminationNoticed, position: int, recorded: int
    ) -> None:
        history = self.contracts[event.contract_id]
        history.termination = (recorded, to_us(event.ends_at))
        history.version = event.originator_version

    def _statement(self, event: ev.StatementIssued | ev.StatementRestated, position: int) -> None:
        s = event.statement
        history = self.statements[(s.contract_id, s.line_id, s.month)]
        history.versions.append(s)
        history.stream_version = event.originator_version
        history.latest = ref(event)
        if s.log_digest is not None and 0 < s.log_digest.size <= len(self.positions):
            # The statement saw the log's first ``size`` events, whatever this store
            # numbers them (an imported log is renumbered without the original's gaps).
            history.seen = self.positions[s.log_digest.size - 1]
        else:
            history.seen = min(s.log_position, position - 1)

    def _on_StatementIssued(self, event: ev.StatementIssued, position: int, recorded: int) -> None:
        self._statement(event, position)

    def _on_StatementRestated(
        self, event: ev.StatementRestated, position: int, recorded: int
    ) -> None:
        self._statement(event, position)

    def _credit(self, event: ev.CreditIssued | ev.CreditAdjusted) -> None:
        history = self.statements[(event.contract_id, event.line_id, event.month)]
        history.credited += event.amount
        history.stream_version = event.originator_version

    def _on_CreditIssued(self, event: ev.CreditIssued, position: int, recorded: int) -> None:
        self._credit(event)

    def _on_CreditAdjusted(self, event: ev.CreditAdjusted, position: int, recorded: int) -> None:
        self._credit(event)
