"""The store at scale: eventsourcing's PostgreSQL recorder plus the probe index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from sla_ledger.adapters import log_leaves
from sla_ledger.adapters.probe_index import TABLE, ProbeRow

_DDL_LOCK = 0x5CA1ED6E  # any constant; names the lock that serialises schema creation


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.index_table = Identifier(datastore.schema, TABLE)
        self.leaves_table = Identifier(datastore.schema, log_leaves.TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (series bigint NOT NULL, at_us bigint NOT NULL, "
                "ok smallint NOT NULL, latency_us bigint NOT NULL, PRIMARY KEY (series, at_us, ok))"
            ).format(self.index_table)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} "
                "(position bigint PRIMARY KEY, leaf bytea NOT NULL, recorded_us bigint NOT NULL)"
            ).format(self.leaves_table)
        )

    def create_table(self) -> None:
        # Several processes opening a new store at once would race on the DDL
        # ("tuple concurrently updated"): one at a time, under an advisory lock.
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_DDL_LOCK,))
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_DDL_LOCK,))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        leaves: Sequence[log_leaves.Leaf] = kwargs.get("leaves", ())
        if leaves:
            # Under the table lock, before inserting anything: eventsourcing commits
            # what was written when an error is raised here, so nothing must be.
            self._lock_table(curs)
            curs.execute(
                SQL(
                    "SELECT recorded_us FROM {} WHERE recorded_us != %s "
                    "ORDER BY position DESC LIMIT 1"
                ).format(self.leaves_table),
                (log_leaves.UNORDERED,),
            )
            row = curs.fetchone()
            log_leaves.check_not_behind(None if row is None else row["recorded_us"], leaves)
        super()._insert_stored_events(curs, stored_events, **kwargs)  # takes the table lock
        probe_rows: Sequence[ProbeRow] = kwargs.get("probe_rows", ())
        if probe_rows:
            # Same transaction as the batch event, after it: a clash with a concurrent
            # writer's probe surfaces as IntegrityError, and the caller re-checks.
            columns = [list(column) for column in zip(*probe_rows, strict=True)]
            with curs.connection.cursor() as other:
                other.execute(
                    SQL(
                        "INSERT INTO {} SELECT * FROM unnest("
                        "%s::bigint[], %s::bigint[], %s::smallint[], %s::bigint[])"
                    ).format(self.index_table),
                    columns,
                )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        leaves: Sequence[log_leaves.Leaf] = kwargs.get("leaves", ())
        if leaves and ids:
            # Still inside the insert's transaction and table lock: a leaf is
            # recorded with its event or not at all.
            hashes, stamps = zip(*leaves, strict=True)
            with curs.connection.cursor() as other:
                other.execute(
                    SQL(
                        "INSERT INTO {} SELECT * FROM "
                        "unnest(%s::bigint[], %s::bytea[], %s::bigint[])"
                    ).format(self.leaves_table),
                    (list(ids), list(hashes), list(stamps)),
                )
        return ids

    def select_leaves(self, start: int, stop: int) -> dict[int, bytes]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT position, leaf FROM {} WHERE position BETWEEN %s AND %s").format(
                    self.leaves_table
                ),
                (start, stop),
            )
            return {row["position"]: bytes(row["leaf"]) for row in curs.fetchall()}

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id FROM {}.{} "
                    "WHERE originator_id=%s AND originator_version=%s"
                ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name)),
                (originator_id, version),
            )
            row = curs.fetchone()
            return None if row is None else int(row["notification_id"])

    def existing_probes(self, series: int, lo: int, hi: int) -> dict[tuple[int, int], int]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT at_us, ok, latency_us FROM {} "
                    "WHERE series=%s AND at_us BETWEEN %s AND %s"
                ).format(self.index_table),
                (series, lo, hi),
            )
            return {(row["at_us"], row["ok"]): row["latency_us"] for row in curs.fetchall()}


class PostgresLedgerFactory(PostgresFactory):
    application_recorder_class = PostgresLedgerRecorder
