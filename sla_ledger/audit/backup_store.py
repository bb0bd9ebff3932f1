"""What a backup asks of the stores: which store it is, whether a backup is the start
of its log, and a new, empty store to restore into."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from sla_ledger.adapters.jsonl import interchange_line
from sla_ledger.adapters.jsonl_lines import from_interchange
from sla_ledger.audit.backup_files import Manifest, Source
from sla_ledger.bootstrap import open_ledger, store_env
from sla_ledger.domain import events as ev
from sla_ledger.exceptions import BackupRefused, StoreError

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger


def source(ledger: SlaLedger) -> Source:
    """The ledger's store: its kind and where it is, never a password."""
    return describe(ledger.env)


def describe(env: Mapping[str, str]) -> Source:
    """The store of an eventsourcing environment (``bootstrap.store_env``)."""
    if "sqlite" in (env.get("PERSISTENCE_MODULE") or ""):
        sqlite = env.get("SQLITE_DBNAME") or ""
        if sqlite.startswith("file:") and "mode=memory" in sqlite:
            return Source(kind="sqlite", store="memory://")
        return Source(kind="sqlite", store=str(Path(sqlite).resolve()))
    user = env.get("POSTGRES_USER") or ""
    where = f"{env.get('POSTGRES_HOST')}:{env.get('POSTGRES_PORT')}/{env.get('POSTGRES_DBNAME')}"
    return Source(kind="postgresql", store=f"{user}@{where}" if user else where)


SAMPLES = 16
"""How many of a backup's lines an appending run compares with the store, the last among them."""


def samples(events: int) -> frozenset[int]:
    """The numbers of the lines to compare: spread evenly over the backup, and its last."""
    return frozenset(-(-i * events // SAMPLES) for i in range(1, SAMPLES + 1)) - {0}


def check_prefix(
    ledger: SlaLedger, manifest: Manifest, lines: Mapping[int, bytes], target: Path
) -> None:
    """``BackupRefused`` unless the backup's events are the start of the ledger's log, as
    far as its sampled lines and its count of events tell.

    Each sampled line must be, to the byte, the event at the same position of the store,
    and the store must hold as many events as the backup up to its last position.

    Args:
        lines: some of the backup's lines, by number (``samples``).
    """
    for number, line in sorted(lines.items()):
        position = manifest.position_of(number)
        found = ledger.recorder.select_notifications(start=position, limit=1, stop=position)
        there = cast(ev.DomainEvent, ledger.mapper.to_domain_event(found[0])) if found else None
        if there is None or (interchange_line(there) + "\n").encode() != line:
            held = "no event" if there is None else _name(there)
            backed_up = _name(from_interchange(line))
            raise BackupRefused(
                f"{target} is not a backup of this store: its line {number} is {backed_up} at "
                f"log position {position}, where this store holds {held}; make a new backup "
                "into a new directory"
            )
    last = manifest.last_position
    held_events = 0 if last is None else count_through(ledger, last)
    if held_events != manifest.events:
        raise BackupRefused(
            f"{target} is not a backup of this store: it holds {manifest.events} events up to "
            f"log position {last}, and this store holds {held_events}; make a new backup "
            "into a new directory"
        )


def _name(event: ev.DomainEvent) -> str:
    return (
        f"{type(event).__name__} version {event.originator_version} of stream "
        f"{event.originator_id}, recorded at {event.recorded_at.isoformat()}"
    )


def count_through(ledger: SlaLedger, position: int) -> int:
    """How many events the ledger's log holds at positions up to ``position``."""
    recorder = ledger.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL("SELECT COUNT(*) AS n FROM {}.{} WHERE notification_id <= %s").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (position,))
            row = curs.fetchone()
            return int(row["n"]) if row else 0
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            table = recorder.events_table_name
            c.execute(f"SELECT COUNT(*) FROM {table} WHERE rowid <= ?", (position,))
            return int(c.fetchone()[0])
    raise StoreError(f"cannot count the events of a {type(recorder).__name__}")


@contextmanager
def empty_target(url: str) -> Iterator[tuple[SlaLedger, str]]:
    """The new store at ``url`` and its description; ``BackupRefused`` when it holds events.

    A SQLite file this creates is removed again if the block fails.
    """
    env = store_env(url)
    where = describe(env)
    name = f"{where.kind} {where.store}"
    if where.store == "memory://":
        raise BackupRefused(
            "restore into a store that outlives it (sqlite:///FILE.db or postgresql://...), "
            "not memory://, which is gone when the restore returns"
        )
    created = Path(where.store) if where.kind == "sqlite" else None
    if created is not None and created.exists():
        created = None
    ledger = open_ledger(url)
    try:
        held = ledger.recorder.max_notification_id()
        if held:
            raise BackupRefused(
                f"the store {name} is not empty (its log reaches position {held}); "
                "restore into a new, empty store"
            )
        yield ledger, name
    except BaseException:
        ledger.close()
        if created is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{created}{suffix}").unlink(missing_ok=True)
        raise
    ledger.close()


def last_recorded_at(ledger: SlaLedger) -> datetime | None:
    """When the last event of the ledger's log was recorded."""
    last = ledger.recorder.max_notification_id()
    if not last:
        return None
    (notification,) = ledger.recorder.select_notifications(start=last, limit=1)
    return cast(ev.DomainEvent, ledger.mapper.to_domain_event(notification)).recorded_at


__all__ = [
    "check_prefix",
    "count_through",
    "describe",
    "empty_target",
    "last_recorded_at",
    "source",
]
