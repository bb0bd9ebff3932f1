"""The embedded default store: eventsourcing's SQLite recorder plus the probe index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from sla_ledger.adapters.probe_index import TABLE, ProbeRow


class SqliteLedgerRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} (series INTEGER NOT NULL, at_us INTEGER NOT NULL, "
            "ok INTEGER NOT NULL, latency_us INTEGER NOT NULL, "
            "PRIMARY KEY (series, at_us, ok)) WITHOUT ROWID",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        probe_rows: Sequence[ProbeRow] = kwargs.pop("probe_rows", ())
        ids = super()._insert_events(c, stored_events, **kwargs)
        if probe_rows:
            c.executemany(f"INSERT INTO {TABLE} VALUES (?,?,?,?)", probe_rows)
        return ids

    def existing_probes(self, series: int, lo: int, hi: int) -> dict[tuple[int, int], int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT at_us, ok, latency_us FROM {TABLE} "
                "WHERE series=? AND at_us BETWEEN ? AND ?",
                (series, lo, hi),
            )
            return {(row[0], row[1]): row[2] for row in c.fetchall()}


class SqliteLedgerFactory(SQLiteFactory):
    application_recorder_class = SqliteLedgerRecorder
