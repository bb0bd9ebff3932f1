"""What an import checks beyond a single line: log order, streams, references, probes
and regions (``jsonl_residency``).

The store's state is read once, at the start; the file's events are then folded
into a small shadow of it (names, streams, and the probes as compact columns),
so that an event may refer to what the store holds or to what an earlier line
recorded. Nothing is written here.
"""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from sla_ledger.adapters.jsonl_lines import Refused, to_interchange
from sla_ledger.adapters.jsonl_residency import ResidencyCheck
from sla_ledger.adapters.jsonl_support_checks import SupportChecks
from sla_ledger.adapters.log_leaves import LeafStore
from sla_ledger.adapters.probe_index import ProbeIndex, ProbeRow, series_key
from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import parse_probe_id, probe_id
from sla_ledger.domain.ingest import FUTURE_SKEW
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.domain.time import format_instant, to_us
from sla_ledger.exceptions import ImportFailed, SlaLedgerError

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger


@dataclass
class Chunk:
    """The probes of one series on one line, sorted by (instant, outcome)."""

    line: int
    target: str
    location: str
    key: int
    ats: array[int]
    oks: bytes
    latencies: array[int] | None  # -1 where absent; None when the series has none


@dataclass
class Stream:
    first_line: int
    base: int  # the store's version when the import began
    version: int
    line: int


class ImportCheck(SupportChecks):
    """Admits the events of one file in order, then checks their probes as a whole."""

    def __init__(self, ledger: SlaLedger) -> None:
        self.ledger = ledger
        self.recorder: ProbeIndex = ledger.recorder  # type: ignore[assignment]
        state = self.state = ledger.catch_up()
        # A store that holds nothing but its region binding takes a file as an empty one does.
        self.empty = state.position in (0, state.bound_at)
        self.last_recorded = self._last_recorded()
        self.last_line = 0
        self.streams: dict[UUID, Stream] = {}
        self.services = {name: service for name, (_, service) in state.services.items()}
        self.target_service = dict(state.target_service)
        self.contracts = set(state.contracts)
        self.incidents = set(state.incidents)
        self.maintenance = set(state.maintenance)
        self._support_known(state)
        self.chunks: list[Chunk] = []
        self.series: dict[tuple[str, str], list[Chunk]] = defaultdict(list)
        self.probe_count = 0
        self.regions = ResidencyCheck(state)
        if state.region is not None:
            self.streams[ev.LEDGER_STREAM] = Stream(0, 1, 1, 0)

    def admit(self, event: ev.DomainEvent, line: int) -> bool:
        """Accept the event of ``line`` after those before it, or raise ``Refused``.

        False when the event is not to be recorded: the file's region binding, when
        the store has one of its own (``residency`` then judges the regions).
        """
        if isinstance(event, ev.LedgerBound):
            return self._bound(event, line)
        try:
            self._in_order(event, line)
            self._continues_stream(event, line)
        except Refused:
            self._not_held(event)
            raise
        getattr(self, "_on_" + type(event).__name__)(event, line)
        return True

    def residency(self) -> None:
        """Raise ``ImportFailed`` when the file's records may not enter the store's region."""
        self.regions.finish()

    def _bound(self, event: ev.LedgerBound, line: int) -> bool:
        # Outside the order of recorded_at: a binding says when its store was created,
        # which may be after the history imported into it.
        self._stream_of(event, "ledger")
        if event.originator_version != 1:
            raise Refused(f"LedgerBound is version 1 of its stream, not {event.originator_version}")
        if not self.regions.bound(event, line):
            return False
        self._continues_stream(event, line)
        return True

    # -- order ---------------------------------------------------------------------------------

    def _last_recorded(self) -> int | None:
        if self.empty:
            return None
        (last,) = self.ledger.recorder.select_notifications(start=self.state.position, limit=1)
        event = cast(ev.DomainEvent, self.ledger.mapper.to_domain_event(last))
        return to_us(event.recorded_at)

    def _in_order(self, event: ev.DomainEvent, line: int) -> None:
        recorded = to_us(event.recorded_at)
        if self.last_recorded is not None and recorded < self.last_recorded:
            where = f"line {self.last_line}" if self.last_line else "the store's last event"
            raise Refused(
                f"recorded_at {format_instant(recorded)} is before "
                f"{format_instant(self.last_recorded)} of {where}: events must be in log order"
            )
        self.last_recorded, self.last_line = recorded, line

    def _not_held(self, event: ev.DomainEvent) -> None:
        # Out of order or a duplicate because the store holds this very event: the file
        # was most likely imported before (say, by a run whose end went unseen).
        if self.empty:
            return
        position = cast(LeafStore, self.ledger.recorder).position_of(
            event.originator_id, event.originator_version
        )
        if position is None:
            return
        (stored,) = self.ledger.recorder.select_notifications(start=position, limit=1)
        held = cast(ev.DomainEvent, self.ledger.mapper.to_domain_event(stored))
        if to_interchange(held) == to_interchange(event):  # its line, as export writes it
            raise Refused(
                f"this {type(event).__name__} is in the store already, at log position "
                f"{position}: the file was imported before (or exported from this store); "
                "nothing was imported"
            )

    def _continues_stream(self, event: ev.DomainEvent, line: int) -> None:
        stream_id, version = event.originator_id, event.originator_version
        stream = self.streams.get(stream_id)
        if stream is None:
            base = self._stored_version(stream_id)
            stream = self.streams[stream_id] = Stream(line, base, base, 0)
        if version <= stream.version:
            where = f"line {stream.line}" if stream.line else "the store"
            raise Refused(
                f"duplicate event: stream {stream_id} is already at version {stream.version} "
                f"({where}), and this {type(event).__name__} is version {version}"
            )
        if version != stream.version + 1:
            raise Refused(
                f"version gap: this {type(event).__name__} is version {version} of stream "
                f"{stream_id}, which is at version {stream.version}; expected {stream.version + 1}"
            )
        stream.version, stream.line = version, line

    def _stored_version(self, stream_id: UUID, force: bool = False) -> int:
        if self.empty and not force:
            return 0
        last = self.ledger.recorder.select_events(stream_id, desc=True, limit=1)
        return last[0].originator_version if last else 0

    # -- references ----------------------------------------------------------------------------

    def _service(self, name: str) -> Service:
        service = self.services.get(name)
        if service is None:
            raise Refused(f"unknown service {name!r}: its ServiceRegistered must come first")
        return service

    def _stream_of(self, event: ev.DomainEvent, kind: str, *names: str) -> None:
        expected = ev.stream_id(kind, *names)
        if event.originator_id != expected:
            raise Refused(
                f"originator_id {event.originator_id} is not the stream of {kind} "
                f"{'/'.join(names)!r}, which is {expected}"
            )

    def _contract(self, contract_id: str) -> None:
        if contract_id not in self.contracts:
            raise Refused(f"unknown contract {contract_id!r}: its ContractSigned must come first")

    def _on_ServiceRegistered(self, event: ev.ServiceRegistered, line: int) -> None:
        service = event.service
        self._stream_of(event, "service", service.service_id)
        for target in service.targets():
            if target in self.target_service:
                raise Refused(
                    f"target {target!r} already belongs to service {self.target_service[target]!r}"
                )
        self.services[service.service_id] = service
        self.target_service.update(dict.fromkeys(service.targets(), service.service_id))
        self.regions.service(service, line)

    def _on_ProbesRecorded(self, event: ev.ProbesRecorded, line: int) -> None:
        for series in event.series:
            service = self.target_service.get(series.target)
            if service is None:
                raise Refused(
                    f"unknown target {series.target!r}: register its service first "
                    "(a service id or 'service/component/instance')"
                )
            if series.location not in self.services[service].locations:
                raise Refused(
                    f"location {series.location!r} is not registered for {series.target!r}; "
                    f"its locations: {', '.join(self.services[service].locations)}"
                )
            if series.at and max(series.at) > to_us(event.recorded_at) + FUTURE_SKEW:
                raise Refused(
                    f"a probe of {series.target!r} from {series.location!r} at "
                    f"{format_instant(max(series.at))} is after its batch's recorded_at "
                    f"{event.recorded_at.isoformat()}: a probe is recorded after it happens"
                )
            latencies = series.latency_us
            chunk = Chunk(
                line,
                series.target,
                series.location,
                series_key(series.target, series.location),
                array("q", series.at),
                bytes(series.ok),
                None if latencies is None else _column(latencies),
            )
            self.chunks.append(chunk)
            self.series[(series.target, series.location)].append(chunk)
            self.probe_count += len(chunk.ats)

    def _on_ProbesInvalidated(self, event: ev.ProbesInvalidated, line: int) -> None:
        for text in event.probe_ids:
            try:
                target, location, at, ok = parse_probe_id(text)
            except SlaLedgerError as error:
                raise Refused(str(error)) from None
            known = self.state.evidence.contains(target, location, at, ok)
            if not known and not self._in_file(target, location, at, ok):
                raise Refused(f"no probe with id {text!r} is recorded in the store or before")

    def _in_file(self, target: str, location: str, at: int, ok: bool) -> bool:
        for chunk in self.series.get((target, location), ()):
            index = bisect_left(chunk.ats, at)
            while index < len(chunk.ats) and chunk.ats[index] == at:
                if chunk.oks[index] == ok:
                    return True
                index += 1
        return False

    def _on_IncidentDeclared(self, event: ev.IncidentDeclared, line: int) -> None:
        for name in event.services:
            self._service(name)
        _window(event.start, event.end)
        self.incidents.add(event.originator_id)

    def _on_IncidentResolved(self, event: ev.IncidentResolved, line: int) -> None:
        if event.originator_id not in self.incidents:
            raise Refused(f"unknown incident {event.originator_id}: no IncidentDeclared starts it")

    def _on_MaintenanceAnnounced(self, event: ev.MaintenanceAnnounced, line: int) -> None:
        for name in event.services:
            self._service(name)
        _window(event.start, event.end)
        self.maintenance.add(event.originator_id)

    def _on_MaintenanceRescheduled(self, event: ev.MaintenanceRescheduled, line: int) -> None:
        self._announcement(event.originator_id)
        _window(event.start, event.end)

    def _on_MaintenanceCancelled(self, event: ev.MaintenanceCancelled, line: int) -> None:
        self._announcement(event.originator_id)

    def _announcement(self, stream_id: UUID) -> None:
        if stream_id not in self.maintenance:
            raise Refused(
                f"unknown maintenance announcement {stream_id}: no MaintenanceAnnounced starts it"
            )

    def _on_ContractSigned(self, event: ev.ContractSigned, line: int) -> None:
        self._terms(event, event.contract, line)
        self.contracts.add(event.contract.contract_id)

    def _on_ContractAmended(self, event: ev.ContractAmended, line: int) -> None:
        self._contract(event.contract.contract_id)
        self._terms(event, event.contract, line)

    def _terms(self, event: ev.DomainEvent, contract: Contract, line: int) -> None:
        self._stream_of(event, "contract", contract.contract_id)
        for contract_line in contract.lines:
            self._service(contract_line.service)
        self.regions.contract(contract, line)

    def _on_RegionTransferAuthorised(self, event: ev.RegionTransferAuthorised, line: int) -> None:
        self.regions.transfer(event, line)

    def _on_ContractTerminationNoticed(
        self, event: ev.ContractTerminationNoticed, line: int
    ) -> None:
        self._stream_of(event, "contract", event.contract_id)
        self._contract(event.contract_id)

    def _on_StatementIssued(self, event: ev.StatementIssued, line: int) -> None:
        s = event.statement
        self._stream_of(event, "statement", s.contract_id, s.line_id, s.month)
        self._contract(s.contract_id)

    _on_StatementRestated = _on_StatementIssued

    def _on_CreditIssued(self, event: ev.CreditIssued, line: int) -> None:
        self._stream_of(event, "statement", event.contract_id, event.line_id, event.month)
        self._contract(event.contract_id)

    _on_CreditAdjusted = _on_CreditIssued

    # -- probes as a whole ---------------------------------------------------------------------

    def probes_are_new(self, against_store: bool = False) -> None:
        """Raise ``ImportFailed`` for a probe the file names twice or the store holds."""
        self._no_duplicates_in_file()
        if not self.empty or against_store:
            self._none_in_store()

    def _no_duplicates_in_file(self) -> None:
        found = []
        for chunks in self.series.values():
            ordered = sorted(chunks, key=lambda c: c.ats[0])
            if all(a.ats[-1] < b.ats[0] for a, b in itertools.pairwise(ordered)):
                continue
            first: dict[tuple[int, int], int] = {}
            for chunk in chunks:
                for at, ok in zip(chunk.ats, chunk.oks, strict=True):
                    line = first.setdefault((at, ok), chunk.line)
                    if line != chunk.line:
                        found.append((chunk.line, line, chunk, at, ok))
                        break
        if found:
            line, earlier, chunk, at, ok = min(found, key=lambda f: f[:2])
            text = probe_id(chunk.target, chunk.location, at, bool(ok))
            raise ImportFailed(
                f"line {line}: duplicate probe {text}: line {earlier} records it already"
            )

    def _none_in_store(self) -> None:
        for chunk in self.chunks:
            stored = self.recorder.existing_probes(chunk.key, chunk.ats[0], chunk.ats[-1])
            for at, ok in zip(chunk.ats, chunk.oks, strict=True):
                if (at, ok) in stored:
                    raise ImportFailed(
                        f"line {chunk.line}: probe "
                        f"{probe_id(chunk.target, chunk.location, at, bool(ok))} is already in the "
                        "store; import into a store that does not hold this file's events"
                    )

    def explain_conflict(self) -> None:
        """After a write failed on a clash: name the line that another writer beat, if any."""
        self.probes_are_new(against_store=True)
        for stream_id, stream in self.streams.items():
            if self._stored_version(stream_id, force=True) != stream.base:
                raise ImportFailed(
                    f"line {stream.first_line}: another writer recorded events of stream "
                    f"{stream_id} during the import; nothing was imported: import again"
                )

    def probe_rows(self) -> ProbeRows:
        return ProbeRows(self.chunks)


class ProbeRows:
    """The probe-index rows of the imported batches, re-iterable (a write may be retried)."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = chunks

    def __len__(self) -> int:
        return sum(len(chunk.ats) for chunk in self.chunks)

    def __iter__(self) -> Iterator[ProbeRow]:
        for chunk in self.chunks:
            latencies = chunk.latencies or itertools.repeat(-1)
            yield from zip(itertools.repeat(chunk.key), chunk.ats, chunk.oks, latencies)


def _window(start: datetime, end: datetime | None) -> None:
    if end is not None and end <= start:
        raise Refused(
            f"window [{start.isoformat()}, {end.isoformat()}) is empty: end must be after start"
        )


def _column(latencies: Sequence[int | None]) -> array[int]:
    return array("q", (-1 if us is None else us for us in latencies))
