"""The evidence an explanation cites, and the catalogue that finds it in the log.

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
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import parse_probe_id, probe_id
from sla_ledger.domain.projection import ref
from sla_ledger.domain.statement import EventRef
from sla_ledger.domain.time import from_us, to_us
from sla_ledger.domain.values import Duration, Instant

StateName = Literal["up", "down", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProbeCitation(_Frozen):
    """One probe, and where the log holds it.

    ``series`` is the 0-based index into the batch's ``series`` array and
    ``index`` the 0-based index into that series's ``at`` and ``ok`` arrays
    (and ``latency_us``/``latency``, when present), as stored and as exported
    to JSON Lines. A batch holds one series per (target, location), so
    ``target``, ``location`` and ``index`` find the probe in a customer's share
    too, where a batch keeps only some of its series.
    """

    probe_id: str
    target: str
    location: str
    at: Instant
    outcome: Literal["up", "down"]
    batch: EventRef | None
    """The ``ProbesRecorded`` event; None only if the log does not hold the probe."""
    position: int | None
    """That event's position in this store's log."""
    series: int | None
    index: int | None


class ProbeEvidence(_Frozen):
    """A location's view of a target became the probe's outcome at its instant (R3)."""

    kind: Literal["probe"] = "probe"
    target: str
    location: str
    view: StateName
    probe: ProbeCitation


class StalenessEvidence(_Frozen):
    """A location's view went unknown: its latest probe grew older than ``staleness`` (R3)."""

    kind: Literal["staleness"] = "staleness"
    target: str
    location: str
    expired_at: Instant
    staleness: Duration
    last_probe: ProbeCitation


class SilenceEvidence(_Frozen):
    """A location had no valid probe of the target at or before the instant: unknown."""

    kind: Literal["no probe"] = "no probe"
    target: str
    location: str


class IncidentEvidence(_Frozen):
    """A declared incident began or ended (R5)."""

    kind: Literal["incident"] = "incident"
    edge: Literal["start", "end", "in force"]
    incident_id: UUID
    reason: str
    start: Instant
    end: Instant | None
    declared: EventRef
    resolved: EventRef | None
    """The resolution that set ``end`` (None: declared with its end, or still open)."""


class InvalidationEvidence(_Frozen):
    """A probe treated as never recorded, and the correction that removed it (R6)."""

    kind: Literal["invalidation"] = "invalidation"
    correction: EventRef
    position: int
    reason: str
    probe: ProbeCitation


Evidence = Annotated[
    ProbeEvidence | StalenessEvidence | SilenceEvidence | IncidentEvidence | InvalidationEvidence,
    Field(discriminator="kind"),
]


class MaintenanceStep(_Frozen):
    """One event of an announcement's history."""

    event: EventRef
    start: Instant
    end: Instant
    reason: str


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
