"""The whole ledger as Apache Parquet, for analytics engines (DuckDB, Spark, pandas, ...).

Two files (needs ``pip install 'sla-ledger[parquet]'``, which brings pyarrow):

- ``events.parquet``: one row per event, in log order: ``position``, ``type``,
  ``schema_version``, ``recorded_at`` (timestamp[us, UTC]), ``originator_id``,
  ``originator_version`` and ``payload``, the event's interchange line (the same
  JSON text as in the JSON Lines export, so the column alone re-imports);
- ``probes.parquet``: one row per probe of every ``ProbesRecorded`` batch, in
  log order: the batch's ``originator_id``, ``target``, ``location``, ``at``
  (timestamp[us, UTC]), ``ok`` and ``latency_us`` (int64, null when not reported).

The log is read in pages and written in row groups, so memory stays bounded
however long the log is. Each file is written whole or not at all.
"""

from __future__ import annotations

import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sla_ledger.adapters.files import written_whole
from sla_ledger.adapters.jsonl import Progress, interchange_line
from sla_ledger.adapters.scope import LogView
from sla_ledger.domain import events as ev
from sla_ledger.domain.time import to_us
from sla_ledger.exceptions import SlaLedgerError

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

EVENTS_FILE = "events.parquet"
PROBES_FILE = "probes.parquet"

EVENT_GROUP_ROWS = 10_000
EVENT_GROUP_BYTES = 8 << 20
PROBE_GROUP_ROWS = 250_000
"""Row groups close at these sizes: what the export holds in memory at most, about."""

INSTALL_HINT = "Parquet export needs pyarrow: pip install 'sla-ledger[parquet]'"


class ParquetUnavailable(SlaLedgerError, ImportError):
    """pyarrow is not installed."""


@dataclass(frozen=True)
class ParquetReport:
    """What ``export_parquet`` wrote: rows of events.parquet and of probes.parquet."""

    events: int
    probes: int


def export_parquet(
    ledger: SlaLedger,
    directory: str | os.PathLike[str],
    on_progress: Progress | None = None,
    *,
    customer: str | None = None,
    event_group_rows: int = EVENT_GROUP_ROWS,
    probe_group_rows: int = PROBE_GROUP_ROWS,
) -> ParquetReport:
    """Write ``events.parquet`` and ``probes.parquet`` into ``directory`` (created if missing).

    Args:
        on_progress: called after each page with the number of events read so far.
        customer: only this customer's share of the log (as ``export_jsonl`` writes it).
        event_group_rows, probe_group_rows: the most rows of a row group.
    """
    pa, pq = _pyarrow()
    view = LogView(ledger, customer)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    with (
        written_whole(folder / EVENTS_FILE) as events_path,
        written_whole(folder / PROBES_FILE) as probes_path,
    ):
        writers: list[Any] = []
        try:
            writers.append(pq.ParquetWriter(events_path, event_schema(pa)))
            writers.append(pq.ParquetWriter(probes_path, probe_schema(pa)))
            events = _Events(writers[0], event_group_rows, pa)
            probes = _Probes(writers[1], probe_group_rows, pa)
            for position, event in view.events(on_progress):
                events.add(position, event)
                if isinstance(event, ev.ProbesRecorded):
                    probes.add(event)
            events.flush()
            probes.flush()
        finally:
            for writer in writers:
                writer.close()
    return ParquetReport(events.rows, probes.rows)


def event_schema(pa: Any) -> Any:
    """The Arrow schema of events.parquet."""
    return pa.schema(
        [
            pa.field("position", pa.int64(), nullable=False),
            pa.field("type", pa.string(), nullable=False),
            pa.field("schema_version", pa.int32(), nullable=False),
            pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("originator_id", pa.string(), nullable=False),
            pa.field("originator_version", pa.int64(), nullable=False),
            pa.field("payload", pa.string(), nullable=False),
        ]
    )


def probe_schema(pa: Any) -> Any:
    """The Arrow schema of probes.parquet."""
    return pa.schema(
        [
            pa.field("originator_id", pa.string(), nullable=False),
            pa.field("target", pa.string(), nullable=False),
            pa.field("location", pa.string(), nullable=False),
            pa.field("at", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("ok", pa.bool_(), nullable=False),
            pa.field("latency_us", pa.int64(), nullable=True),
        ]
    )


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ParquetUnavailable(INSTALL_HINT) from None
    return pa, pq


class _Events:
    """Buffers event rows and writes them a row group at a time."""

    def __init__(self, writer: Any, group_rows: int, pa: Any) -> None:
        self.writer, self.group_rows, self.pa = writer, group_rows, pa
        self.rows = 0
        self._clear()

    def _clear(self) -> None:
        self.positions: list[int] = []
        self.types: list[str] = []
        self.versions: list[int] = []
        self.recorded: list[int] = []
        self.originators: list[str] = []
        self.originator_versions: list[int] = []
        self.payloads: list[str] = []
        self.size = 0

    def add(self, position: int, event: ev.DomainEvent) -> None:
        payload = interchange_line(event)
        self.positions.append(position)
        self.types.append(type(event).__name__)
        self.versions.append(type(event).schema_version)
        self.recorded.append(to_us(event.recorded_at))
        self.originators.append(str(event.originator_id))
        self.originator_versions.append(event.originator_version)
        self.payloads.append(payload)
        self.size += len(payload)
        if len(self.positions) >= self.group_rows or self.size >= EVENT_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.positions:
            return
        pa = self.pa
        schema = self.writer.schema
        columns = (
            self.positions,
            self.types,
            self.versions,
            self.recorded,
            self.originators,
            self.originator_versions,
            self.payloads,
        )
        arrays = [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.rows += len(self.positions)
        self._clear()


class _Probes:
    """Buffers probe rows as compact columns and writes them a row group at a time."""

    def __init__(self, writer: Any, group_rows: int, pa: Any) -> None:
        self.writer, self.group_rows, self.pa = writer, group_rows, pa
        self.rows = 0
        self._clear()

    def _clear(self) -> None:
        self.originators: list[str] = []
        self.targets: list[str] = []
        self.locations: list[str] = []
        self.at = array("q")
        self.ok = bytearray()
        self.latency = array("q")  # -1 where absent

    def add(self, batch: ev.ProbesRecorded) -> None:
        originator = str(batch.originator_id)
        for series in batch.series:
            start = 0
            while start < len(series.at):
                room = self.group_rows - len(self.at)
                stop = min(len(series.at), start + room)
                count = stop - start
                self.originators += [originator] * count
                self.targets += [series.target] * count
                self.locations += [series.location] * count
                self.at.extend(series.at[start:stop])
                self.ok.extend(series.ok[start:stop])
                if series.latency_us is None:
                    self.latency.extend([-1] * count)
                else:
                    self.latency.extend(
                        -1 if us is None else us for us in series.latency_us[start:stop]
                    )
                start = stop
                if len(self.at) >= self.group_rows:
                    self.flush()

    def flush(self) -> None:
        count = len(self.at)
        if not count:
            return
        pa = self.pa
        import pyarrow.compute as pc

        schema = self.writer.schema
        at = pa.Array.from_buffers(schema.field("at").type, count, [None, pa.py_buffer(self.at)])
        ok = pa.Array.from_buffers(pa.uint8(), count, [None, pa.py_buffer(self.ok)])
        latency = pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(self.latency)])
        latency = pc.if_else(pc.less(latency, 0), pa.scalar(None, pa.int64()), latency)
        arrays = [
            pa.array(self.originators, type=pa.string()),
            pa.array(self.targets, type=pa.string()),
            pa.array(self.locations, type=pa.string()),
            at,
            ok.cast(pa.bool_()),
            latency,
        ]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.rows += count
        self._clear()


__all__ = [
    "EVENTS_FILE",
    "PROBES_FILE",
    "ParquetReport",
    "ParquetUnavailable",
    "event_schema",
    "export_parquet",
    "probe_schema",
]
