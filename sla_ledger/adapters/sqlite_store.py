"""The embedded default store: eventsourcing's SQLite recorder plus the probe index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from sla_ledger.adapters import log_leaves
from sla_ledger.adapters.probe_index import TABLE, ProbeRow


class SqliteLedgerRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} (series INTEGER NOT NULL, at_us INTEGER NOT NULL, "
            "ok INTEGER NOT NULL, latency_us INTEGER NOT NULL, "
            "PRIMARY KEY (series, at_us, ok)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {log_leaves.TABLE} "
            "(position INTEGER PRIMARY KEY, leaf BLOB NOT NULL, recorded_us INTEGER NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        probe_rows: Sequence[ProbeRow] = kwargs.pop("probe_rows", ())
        leaves: Sequence[log_leaves.Leaf] = kwargs.pop("leaves", ())
        ids = super()._insert_events(c, stored_events, **kwargs)
        if probe_rows:
            c.executemany(f"INSERT INTO {TABLE} VALUES (?,?,?,?)", probe_rows)
        if leaves and ids:
            # The first insert took the write lock: no one commits between this and ours.
            c.execute(
                f"SELECT recorded_us FROM {log_leaves.TABLE} WHERE position < ? "
                "AND recorded_us != ? ORDER BY position DESC LIMIT 1",
                (ids[0], log_leaves.UNORDERED),
            )
            row = c.fetchone()
            log_leaves.check_not_behind(None if row is None else row[0], leaves)
            c.executemany(
                f"INSERT INTO {log_leaves.TABLE} VALUES (?,?,?)",
                [(i, leaf, us) for i, (leaf, us) in zip(ids, leaves, strict=True)],
            )
        return ids

    def select_leaves(self, start: int, stop: int) -> dict[int, bytes]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, leaf FROM {log_leaves.TABLE} WHERE position BETWEEN ? AND ?",
                (start, stop),
            )
            return {row[0]: bytes(row[1]) for row in c.fetchall()}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
            return None if row is None else int(row[0])

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
