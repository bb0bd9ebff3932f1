"""What a derivation cites that the ledger's state does not keep (``explain``).

``LedgerState`` keeps probes as columns and incidents, maintenance and
corrections as what they do to the figures. A ``Catalogue``, folded from the
same events beside it, keeps where each probe series lies in the log and the
events, reasons and positions an explanation names.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import parse_probe_id, probe_id
from sla_ledger.domain.explanation import MaintenanceStep, ProbeCitation
from sla_ledger.domain.projection import ref
from sla_ledger.domain.statement import EventRef
from sla_ledger.domain.time import from_us, to_us

ReadBatch = Callable[[int], ev.ProbesRecorded]
"""The ``ProbesRecorded`` event at a log position."""


@dataclass(frozen=True)
class BatchSeries:
    """Where one (target, location) series of a probe batch lies in the log."""

    position: int
    batch: EventRef
    series: int
    first: int
    last: int


@dataclass
class IncidentRecord:
    reason: str
    declared: EventRef
    resolutions: list[tuple[int, EventRef]] = field(default_factory=list)  # (recorded, event)


@dataclass(frozen=True)
class CorrectionRecord:
    position: int
    event: EventRef
    recorded: int
    reason: str
    probe_ids: tuple[str, ...]


@dataclass
class Catalogue:
    """Citations for every event folded into it, in log order."""

    batches: dict[tuple[str, str], list[BatchSeries]] = field(
        default_factory=lambda: defaultdict(list)
    )
    incidents: dict[UUID, IncidentRecord] = field(default_factory=dict)
    maintenance: dict[UUID, list[tuple[str, int, MaintenanceStep]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Per announcement: (event type, recorded, step), in order."""
    corrections: dict[UUID, CorrectionRecord] = field(default_factory=dict)
    invalidations: dict[str, list[CorrectionRecord]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def note(self, event: ev.DomainEvent, position: int) -> None:
        """Fold one event, at its position in the log."""
        if isinstance(event, ev.ProbesRecorded):
            batch = ref(event)
            for number, series in enumerate(event.series):
                if len(series.at):  # a series is in time order (ProbeSeries)
                    self.batches[(series.target, series.location)].append(
                        BatchSeries(position, batch, number, series.at[0], series.at[-1])
                    )
        elif isinstance(event, ev.IncidentDeclared):
            self.incidents[event.originator_id] = IncidentRecord(event.reason, ref(event))
        elif isinstance(event, ev.IncidentResolved):
            incident = self.incidents[event.originator_id]
            incident.resolutions.append((to_us(event.recorded_at), ref(event)))
        elif isinstance(event, ev.MaintenanceAnnounced | ev.MaintenanceRescheduled):
            self._maintenance(event, event.start, event.end, getattr(event, "reason", ""))
        elif isinstance(event, ev.MaintenanceCancelled):
            steps = self.maintenance[event.originator_id]
            last = steps[-1][2]
            self._maintenance(event, last.start, last.end, event.reason)
        elif isinstance(event, ev.ProbesInvalidated):
            record = CorrectionRecord(
                position, ref(event), to_us(event.recorded_at), event.reason, event.probe_ids
            )
            self.corrections[event.originator_id] = record
            for text in event.probe_ids:
                self.invalidations[text].append(record)

    def _maintenance(self, event: ev.DomainEvent, start: object, end: object, why: str) -> None:
        step = MaintenanceStep.model_validate(
            {"event": ref(event), "start": start, "end": end, "reason": why}
        )
        self.maintenance[event.originator_id].append(
            (type(event).__name__, to_us(event.recorded_at), step)
        )

    def correction_of(self, text: str, known_at: int) -> CorrectionRecord | None:
        """The first correction, known at ``known_at``, that invalidated a probe id."""
        known = [r for r in self.invalidations.get(text, ()) if r.recorded <= known_at]
        return known[0] if known else None

    def cite(self, target: str, location: str, at: int, ok: bool, read: ReadBatch) -> ProbeCitation:
        """A probe with the batch, series and index that hold it."""
        found = None
        for candidate in self.batches.get((target, location), ()):
            if candidate.first <= at <= candidate.last:
                index = _index_in(read(candidate.position), candidate.series, at, ok)
                if index is not None:
                    found = (candidate, index)
                    break
        return ProbeCitation(
            probe_id=probe_id(target, location, at, ok),
            target=target,
            location=location,
            at=from_us(at),
            outcome="up" if ok else "down",
            batch=found[0].batch if found else None,
            position=found[0].position if found else None,
            series=found[0].series if found else None,
            index=found[1] if found else None,
        )

    def cite_id(self, text: str, read: ReadBatch) -> ProbeCitation:
        target, location, at, ok = parse_probe_id(text)
        return self.cite(target, location, at, ok, read)


def _index_in(batch: ev.ProbesRecorded, number: int, at: int, ok: bool) -> int | None:
    series = batch.series[number]
    ats, oks = series.at, series.ok
    index = bisect_left(ats, at)  # a series is in time order (ProbeSeries)
    while index < len(ats) and ats[index] == at:
        if bool(oks[index]) == ok:
            return index
        index += 1
    return None
