"""What a backup asks of the stores: which store it is, whether a backup is the start
of its log, and a new, empty store to restore into."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sla_ledger.adapters.log_leaves import LeafStore, recorded_leaves
from sla_ledger.audit.backup_files import Manifest, Source
from sla_ledger.bootstrap import open_ledger, store_env
from sla_ledger.domain import events as ev
from sla_ledger.exceptions import BackupRefused
from sla_ledger.merkle import Frontier

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


def check_prefix(ledger: SlaLedger, manifest: Manifest, target: Path) -> None:
    """``BackupRefused`` unless the backup's events are the start of the ledger's log: the
    store holds events at exactly the backup's positions up to its last, and the leaves
    recorded with them (docs/log-digest.md) give the backup's digest."""
    leaves = recorded_leaves(cast(LeafStore, ledger.recorder), manifest.last_position or 0)
    frontier = Frontier()
    for expected, (position, leaf) in zip_longest(_positions(manifest), leaves, fillvalue=(0, b"")):
        if expected != position:
            raise BackupRefused(
                f"{target} is not a backup of this store: {_difference(expected, position)}; "
                "make a new backup into a new directory"
            )
        frontier.append(leaf)
    if str(frontier.digest()) != manifest.digest:
        raise BackupRefused(
            f"{target} is not a backup of this store: the store's first {manifest.events} "
            f"events have the digest {frontier.digest()}, the backup's {manifest.digest}; "
            "make a new backup into a new directory"
        )


def _positions(manifest: Manifest) -> Iterator[int]:
    for first, count in manifest.positions:
        yield from range(first, first + count)


def _difference(expected: int | tuple[int, bytes], position: int) -> str:
    """Where the backup's positions (``expected``; a tuple once they end) and the store's part."""
    if isinstance(expected, int) and (position == 0 or expected < position):
        return f"it holds an event at log position {expected}, where this store holds none"
    return f"this store holds an event at log position {position}, where the backup holds none"


@contextmanager
def empty_target(url: str, cipher_key: str | None = None) -> Iterator[tuple[SlaLedger, str]]:
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
    ledger = open_ledger(url, cipher_key=cipher_key)
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
    "describe",
    "empty_target",
    "last_recorded_at",
    "source",
]
