"""``SlaLedger``: the application a billing service, an operator or an auditor uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, Notification, StoredEvent, Transcoder

from sla_ledger.adapters.event_mapper import PydanticMapper
from sla_ledger.adapters.probe_index import ProbeIndex, ProbeRow, series_key
from sla_ledger.clock import Clock, SystemClock
from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import close_due
from sla_ledger.domain.evidence import FOREVER, Probe, parse_probe_id, probe_id
from sla_ledger.domain.ingest import group_probes
from sla_ledger.domain.projection import ContractHistory, LedgerState, MaintenanceHistory
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.domain.time import (
    duration_us,
    from_us,
    is_aware,
    month_of,
    next_month,
    parse_month,
    to_us,
)
from sla_ledger.exceptions import (
    InvalidEvidence,
    InvalidTerms,
    ProbeConflict,
    SlaLedgerError,
    StoreError,
    UnknownReference,
)

PAGE = 500


@dataclass(frozen=True)
class ProbeReceipt:
    """What ``record_probes`` did: probes recorded, and duplicates left out."""

    recorded: int
    duplicates: int
    batch_id: UUID | None


@dataclass(frozen=True)
class CreditEntry:
    """One credit or adjustment, at its position in the log (the billing feed)."""

    position: int
    kind: str
    contract_id: str
    line_id: str
    month: str
    amount: Decimal
    currency: str
    statement_version: int
    recorded_at: datetime


class SlaLedger(Application[UUID]):
    """An event-sourced SLA ledger. Open one with :func:`sla_ledger.open_ledger`."""

    name = "SlaLedger"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None) -> None:
        try:
            super().__init__(env)
        except SlaLedgerError:
            raise
        except Exception as error:
            raise StoreError(f"cannot open the ledger store: {error}") from None
        self.clock: Clock = clock or SystemClock()
        self._state = LedgerState()

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(
            transcoder=_NoTranscoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    # -- reading the log -------------------------------------------------------------------

    def catch_up(self) -> LedgerState:
        """Fold events recorded since the last look (by any process) into the state."""
        state = self._state
        while True:
            page = self.recorder.select_notifications(start=state.position + 1, limit=PAGE)
            for notification in page:
                state.apply(self._decode(notification), notification.id)
            if len(page) < PAGE:
                return state

    def _decode(self, notification: Notification) -> ev.DomainEvent:
        return cast(ev.DomainEvent, self.mapper.to_domain_event(notification))

    @property
    def position(self) -> int:
        """The log position the ledger has read up to."""
        return self.catch_up().position

    def _now(self) -> datetime:
        """Knowledge time: the clock, but never before what the log already holds (R14)."""
        now = self.clock.now()
        last = self._state.last_recorded
        return now if to_us(now) >= last else from_us(last)

    def _save(self, *events: ev.DomainEvent, **kwargs: Any) -> None:
        self.save(*events, **kwargs)
        self.catch_up()

    # -- import ------------------------------------------------------------------------------

    def import_events(
        self, events: Sequence[StoredEvent], probe_rows: Iterable[ProbeRow] = ()
    ) -> None:
        """Append events recorded elsewhere, as they are (ids and ``recorded_at`` kept),
        with the probe-index rows of their probe batches, in one transaction.

        Nothing here checks them: use :func:`sla_ledger.adapters.jsonl.import_jsonl`,
        which does, and calls this. ``probe_rows`` may be iterated again if the store
        retries the write. A clash with stored events or probes raises eventsourcing's
        ``PersistenceError`` (usually ``IntegrityError``) and writes nothing.
        """
        try:
            self.recorder.insert_events(events, probe_rows=probe_rows)
        finally:
            self.catch_up()

    # -- terms -------------------------------------------------------------------------------

    def register_service(self, service: Service) -> None:
        """Record a service with its probe locations and topology."""
        state = self.catch_up()
        _require(service, Service, "service")
        existing = state.service_at(service.service_id)
        if existing is not None:
            if existing == service:
                return
            raise InvalidTerms(
                f"service {service.service_id!r} is already registered with other terms"
            )
        clash = [t for t in service.targets() if t in state.target_service]
        if clash:
            raise InvalidTerms(
                f"target {clash[0]!r} already belongs to service {state.target_service[clash[0]]!r}"
            )
        self._save(
            ev.ServiceRegistered(
                originator_id=ev.stream_id("service", service.service_id),
                originator_version=1,
                recorded_at=self._now(),
                service=service,
            )
        )

    def sign_contract(self, contract: Contract) -> None:
        """Record a new contract; every line's service must be registered."""
        state = self.catch_up()
        _require(contract, Contract, "contract")
        if contract.contract_id in state.contracts:
            raise InvalidTerms(
                f"contract {contract.contract_id!r} is already signed; amend it instead"
            )
        self._check_services(contract)
        self._save(
            ev.ContractSigned(
                originator_id=ev.stream_id("contract", contract.contract_id),
                originator_version=1,
                recorded_at=self._now(),
                contract=contract,
            )
        )

    def amend_contract(self, contract: Contract) -> str:
        """Record new terms for a contract; they apply from the next month (R13). Returns it."""
        state = self.catch_up()
        _require(contract, Contract, "contract")
        history = self._contract(contract.contract_id)
        if (
            contract.time_zone != history.signed.time_zone
            or contract.starts_at != history.signed.starts_at
        ):
            raise InvalidTerms("an amendment cannot change a contract's time_zone or starts_at")
        self._check_services(contract)
        now = self._now()
        effective = next_month(month_of(to_us(now), contract.time_zone))
        self._save(
            ev.ContractAmended(
                originator_id=ev.stream_id("contract", contract.contract_id),
                originator_version=history.version + 1,
                recorded_at=now,
                contract=contract,
                effective_month=effective,
            )
        )
        del state
        return effective

    def notice_termination(self, contract_id: str, ends_at: datetime | None = None) -> datetime:
        """Give notice; the contract ends no sooner than the notice period allows (R13)."""
        history = self._contract(contract_id)
        now = self._now()
        earliest = now + history.latest_terms().notice_period
        if ends_at is not None:
            _aware(ends_at, "ends_at")
        end = max(ends_at or earliest, earliest)
        self._save(
            ev.ContractTerminationNoticed(
                originator_id=ev.stream_id("contract", contract_id),
                originator_version=history.version + 1,
                recorded_at=now,
                contract_id=contract_id,
                ends_at=end,
            )
        )
        return end

    def _check_services(self, contract: Contract) -> None:
        for line in contract.lines:
            if self._state.service_at(line.service) is None:
                raise UnknownReference(
                    f"line {line.line_id!r} names unknown service {line.service!r}"
                )

    def _contract(self, contract_id: str) -> ContractHistory:
        history = self.catch_up().contracts.get(contract_id)
        if history is None:
            raise UnknownReference(f"unknown contract {contract_id!r}")
        return history

    # -- evidence ----------------------------------------------------------------------------

    def record_probes(self, probes: Iterable[Probe]) -> ProbeReceipt:
        """Record a batch of probe results, all or nothing; a probe sent again is recorded once."""
        state = self.catch_up()
        groups = group_probes(
            probes, state.target_service, {k: v[1] for k, v in state.services.items()}
        )
        for attempt in range(3):
            event, rows, duplicates = self._probe_batch(groups)
            if event is None:
                return ProbeReceipt(0, duplicates, None)
            try:
                self._save(event, probe_rows=rows)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            return ProbeReceipt(len(rows), duplicates, event.originator_id)
        raise AssertionError("unreachable")

    def _probe_batch(
        self, groups: dict[tuple[str, str], dict[tuple[int, int], int]]
    ) -> tuple[ev.ProbesRecorded | None, list[tuple[int, int, int, int]], int]:
        recorder: ProbeIndex = self.recorder  # type: ignore[assignment]
        series: list[ev.ProbeSeries] = []
        rows: list[tuple[int, int, int, int]] = []
        duplicates = 0
        for (target, location), probes in groups.items():
            key = series_key(target, location)
            ordered = sorted(probes.items())
            existing = recorder.existing_probes(key, ordered[0][0][0], ordered[-1][0][0])
            fresh = []
            for (at, ok), latency in ordered:
                known = existing.get((at, ok))
                if known is None:
                    fresh.append((at, ok, latency))
                elif known == latency:
                    duplicates += 1
                else:
                    raise ProbeConflict(
                        f"probe {probe_id(target, location, at, bool(ok))} was recorded "
                        "with latency "
                        f"{known} us and is now sent with {latency} us: record a correction instead"
                    )
            if not fresh:
                continue
            has_latency = any(f[2] >= 0 for f in fresh)
            series.append(
                ev.ProbeSeries(
                    target=target,
                    location=location,
                    at=[f[0] for f in fresh],
                    ok=[bool(f[1]) for f in fresh],
                    latency_us=[f[2] if f[2] >= 0 else None for f in fresh]
                    if has_latency
                    else None,
                )
            )
            rows.extend((key, at, ok, latency) for at, ok, latency in fresh)
        if not series:
            return None, rows, duplicates
        event = ev.ProbesRecorded.model_construct(
            originator_id=uuid4(),
            originator_version=1,
            recorded_at=self._now(),
            series=tuple(series),
        )
        return event, rows, duplicates

    def invalidate_probes(self, probes: Sequence[Probe | str], reason: str) -> UUID:
        """Treat recorded probes as never recorded (R6); the correction is itself an event."""
        state = self.catch_up()
        ids = []
        for probe in probes:
            text = probe.probe_id if isinstance(probe, Probe) else str(probe)
            target, location, at, ok = parse_probe_id(text)
            if not state.evidence.contains(target, location, at, ok):
                raise UnknownReference(f"no recorded probe has id {text!r}")
            ids.append(text)
        return self._new_stream(
            ev.ProbesInvalidated, probe_ids=tuple(ids), reason=_text(reason, "reason")
        )

    def declare_incident(
        self,
        services: Sequence[str],
        start: datetime,
        end: datetime | None = None,
        reason: str = "",
    ) -> UUID:
        """Declare services down over [start, end), open until resolved (R5)."""
        self._check_window(services, start, end, allow_open=True)
        return self._new_stream(
            ev.IncidentDeclared,
            services=tuple(services),
            start=start,
            end=end,
            reason=_text(reason, "reason"),
        )

    def resolve_incident(self, incident_id: UUID, end: datetime) -> None:
        incident = self.catch_up().incidents.get(incident_id)
        if incident is None:
            raise UnknownReference(f"unknown incident {incident_id}")
        if to_us(_aware(end, "end")) <= incident.start:
            raise InvalidEvidence(f"incident end {end.isoformat()} must be after its start")
        self._save(
            ev.IncidentResolved(
                originator_id=incident_id,
                originator_version=incident.version + 1,
                recorded_at=self._now(),
                end=end,
            )
        )

    def announce_maintenance(
        self, services: Sequence[str], start: datetime, end: datetime, reason: str = ""
    ) -> UUID:
        """Announce a maintenance window [start, end); it qualifies only with enough notice (R8)."""
        self._check_window(services, start, end)
        return self._new_stream(
            ev.MaintenanceAnnounced, services=tuple(services), start=start, end=end, reason=reason
        )

    def reschedule_maintenance(self, announcement_id: UUID, start: datetime, end: datetime) -> None:
        history = self._announcement(announcement_id)
        self._check_window(history.services, start, end)
        self._save(
            ev.MaintenanceRescheduled(
                originator_id=announcement_id,
                originator_version=len(history.versions) + 1,
                recorded_at=self._now(),
                start=start,
                end=end,
            )
        )

    def cancel_maintenance(self, announcement_id: UUID, reason: str = "") -> None:
        history = self._announcement(announcement_id)
        self._save(
            ev.MaintenanceCancelled(
                originator_id=announcement_id,
                originator_version=len(history.versions) + 1,
                recorded_at=self._now(),
                reason=reason,
            )
        )

    def _announcement(self, announcement_id: UUID) -> MaintenanceHistory:
        history = self.catch_up().maintenance.get(announcement_id)
        if history is None:
            raise UnknownReference(f"unknown maintenance announcement {announcement_id}")
        if history.versions[-1][3]:
            raise InvalidEvidence(
                f"maintenance announcement {announcement_id} was cancelled; announce a new one"
            )
        return history

    def _check_window(
        self,
        services: Sequence[str],
        start: datetime,
        end: datetime | None,
        allow_open: bool = False,
    ) -> None:
        state = self.catch_up()
        if isinstance(services, str) or not services:
            raise InvalidEvidence(f"services {services!r} must be a non-empty list of service ids")
        for service in services:
            if state.service_at(service) is None:
                raise UnknownReference(f"unknown service {service!r}")
        _aware(start, "start")
        if end is None and allow_open:
            return
        if end is None or to_us(_aware(end, "end")) <= to_us(start):
            raise InvalidEvidence(
                f"window [{start.isoformat()}, {end.isoformat() if end else None}) is empty: "
                "end must be after start"
            )

    def _new_stream(self, cls: type[ev.DomainEvent], **fields: Any) -> UUID:
        stream = uuid4()
        try:
            event = cls(
                originator_id=stream, originator_version=1, recorded_at=self._now(), **fields
            )
        except ValueError as error:
            raise InvalidEvidence(str(error)) from None
        self._save(event)
        return stream

    # -- figures -----------------------------------------------------------------------------

    def close_due_months(self, now: datetime | None = None) -> list[Statement]:
        """Issue every statement and credit that is due, and restate what new evidence changed.

        Safe to call from a scheduler every minute and from several processes at once.
        What is recorded is stamped with the ledger's clock (R14).

        Args:
            now: decide what is due as of this instant; default and latest: the clock's time.
        """
        state = self.catch_up()
        clock = to_us(self._now())
        due_at = None if now is None else to_us(_aware(now, "now"))
        if due_at is not None and due_at > clock:
            raise InvalidEvidence(
                f"now {now} is after the ledger clock's {from_us(clock)}: "
                "months close by the ledger's own time"
            )
        issued: list[Statement] = []
        for decision in close_due(state, clock, due_at):
            try:
                self._save(*decision.events)
            except IntegrityError:
                self.catch_up()  # another closer recorded this stream first
                continue
            issued.extend(
                e.statement
                for e in decision.events
                if isinstance(e, ev.StatementIssued | ev.StatementRestated)
            )
        return issued

    def statement_for(
        self, contract_id: str, line_id: str, month: str, as_known_at: datetime | None = None
    ) -> Statement | None:
        """The issued statement (latest version, or the one current at ``as_known_at``), or None."""
        parse_month(month)
        history = self.catch_up().statements.get((contract_id, line_id, month))
        return history.as_known_at(_known(as_known_at)) if history else None

    def compute_statement(
        self, contract_id: str, line_id: str, month: str, as_known_at: datetime | None = None
    ) -> Statement:
        """Figures from the evidence known at ``as_known_at`` (default: all), not issued."""
        parse_month(month)
        state = self.catch_up()
        return Reckoner(state, to_us(self._now()), _known(as_known_at)).statement(
            contract_id, line_id, month
        )

    def statements(
        self, contract_id: str | None = None, month: str | None = None
    ) -> list[Statement]:
        """The latest version of every issued statement, optionally for one contract or month."""
        return [
            h.versions[-1]
            for (c, _, m), h in sorted(self.catch_up().statements.items())
            if h.versions and contract_id in (None, c) and month in (None, m)
        ]

    def credits(self, after: int = 0, limit: int = 1000) -> list[CreditEntry]:
        """Credits and adjustments recorded after log position ``after``, in order.

        A billing service stores the last ``position`` it applied, in the same
        transaction as its own writes, and asks again from there.
        """
        page = self.recorder.select_notifications(
            start=after + 1, limit=limit, topics=ev.CREDIT_TYPES
        )
        entries = []
        for notification in page:
            event = self._decode(notification)
            assert isinstance(event, ev.CreditIssued | ev.CreditAdjusted)
            entries.append(
                CreditEntry(
                    position=notification.id,
                    kind=type(event).__name__,
                    contract_id=event.contract_id,
                    line_id=event.line_id,
                    month=event.month,
                    amount=event.amount,
                    currency=event.currency,
                    statement_version=event.statement_version,
                    recorded_at=event.recorded_at,
                )
            )
        return entries

    def services(self) -> list[Service]:
        return [service for _, service in self.catch_up().services.values()]

    def contracts(self) -> list[Contract]:
        return [h.latest_terms() for h in self.catch_up().contracts.values()]


class _NoTranscoder(Transcoder):
    """Events serialise themselves (pydantic); the mapper needs no transcoder."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError  # abstract: never called

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError  # abstract: never called


def _aware(instant: object, what: str) -> datetime:
    if not isinstance(instant, datetime) or not is_aware(instant):
        raise InvalidEvidence(f"{what} {instant!r} must be a timezone-aware datetime")
    return instant


def _known(instant: datetime | None) -> int:
    return FOREVER if instant is None else to_us(_aware(instant, "as_known_at"))


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvidence(f"{what} {value!r} must be a non-empty text")
    return value


def _require(value: object, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise InvalidTerms(f"{what} must be a {cls.__name__}, got {value!r}")


__all__ = ["CreditEntry", "ProbeReceipt", "SlaLedger", "duration_us", "timedelta"]
