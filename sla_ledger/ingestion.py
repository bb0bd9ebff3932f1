"""Turning a checked batch of probes into the event to record, without repeats.

A probe already recorded (same id, same latency) is left out and counted; the
same id with another latency is a ``ProbeConflict``. The probe index answers
"already recorded?"; when the caught-up state shows that a series only grows
at its end, it need not be asked, and its primary key still refuses a probe
that a concurrent writer recorded first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sla_ledger.adapters.probe_index import ProbeIndex, ProbeRow, series_key
from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import probe_id
from sla_ledger.domain.ingest import SeriesRows
from sla_ledger.domain.projection import LedgerState
from sla_ledger.exceptions import ProbeConflict


@dataclass(frozen=True)
class ProbeReceipt:
    """What ``record_probes`` did: probes recorded, and duplicates left out."""

    recorded: int
    duplicates: int
    batch_id: UUID | None


def probe_batch(
    state: LedgerState,
    index: object,
    groups: dict[tuple[str, str], SeriesRows],
    now: datetime,
    trust_state: bool,
) -> tuple[ev.ProbesRecorded | None, list[ProbeRow], int]:
    """The batch event (None if every probe was recorded before), its index rows, and
    how many probes were left out as already recorded.

    Args:
        index: the store's recorder, which offers ``existing_probes``.
        trust_state: whether the caught-up state may stand in for the index.
    """
    recorder: ProbeIndex = index  # type: ignore[assignment]
    series: list[ev.ProbeSeries] = []
    rows: list[ProbeRow] = []
    duplicates = 0
    for (target, location), probes in groups.items():
        key = series_key(target, location)
        ordered = sorted(probes.items())
        first, last = ordered[0][0][0], ordered[-1][0][0]
        latest = state.evidence.last_instant(target, location)
        if trust_state and (latest is None or latest < first):
            existing: dict[tuple[int, int], int] = {}
        else:
            existing = recorder.existing_probes(key, first, last)
        fresh = []
        for (at, ok), latency in ordered:
            known = existing.get((at, ok))
            if known is None:
                fresh.append((at, ok, latency))
            elif known == latency:
                duplicates += 1
            else:
                raise ProbeConflict(
                    f"probe {probe_id(target, location, at, bool(ok))} was recorded with "
                    f"latency {known} us and is now sent with {latency} us: "
                    "record a correction instead"
                )
        if fresh:
            series.append(_series(target, location, fresh))
            rows.extend((key, at, ok, latency) for at, ok, latency in fresh)
    if not series:
        return None, rows, duplicates
    event = ev.ProbesRecorded.model_construct(
        originator_id=uuid4(), originator_version=1, recorded_at=now, series=tuple(series)
    )
    return event, rows, duplicates


def _series(target: str, location: str, fresh: list[tuple[int, int, int]]) -> ev.ProbeSeries:
    has_latency = any(latency >= 0 for _, _, latency in fresh)
    return ev.ProbeSeries(
        target=target,
        location=location,
        at=[at for at, _, _ in fresh],
        ok=[bool(ok) for _, ok, _ in fresh],
        latency_us=[None if latency < 0 else latency for _, _, latency in fresh]
        if has_latency
        else None,
    )
