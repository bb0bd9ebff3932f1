"""Backups of a live ledger, and restores of one up to a point in time.

A backup is a directory with the log as an open interchange file and a manifest
(``backup_files``; ``backup_check`` checks one against the other). It is a
consistent prefix of the log while writers go on: it reads up to the last log
position stored when it starts, and no event can later appear at or below it.
On SQLite there is one writer at a time and positions are rowids given under
its lock; on PostgreSQL every insert transaction takes ``LOCK TABLE ... IN
EXCLUSIVE MODE`` before it draws its positions from the sequence, so
transactions take positions in the order they commit. PostgreSQL may skip
positions (a rolled-back insert still used them), so a position is not an
event count: the manifest keeps the runs of positions.

A first backup is written into a hidden directory beside the target and renamed
into place when complete; an appending run extends events.jsonl in place and
then replaces the manifest whole. Either way a killed run leaves the previous
complete backup, or none. A restore imports the backup, or its first part,
into a new, empty store through ``import_jsonl``, with all its checks, and
compares the restored log's digest with the backup's lines'.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from sla_ledger.adapters.jsonl import ImportReport, import_jsonl
from sla_ledger.audit import backup_store
from sla_ledger.audit.backup_check import check_events, line_head, lines_within
from sla_ledger.audit.backup_files import EVENTS_FILE, Manifest, read_manifest, write_manifest
from sla_ledger.audit.backup_writing import BackupLog, Progress, locked, new_directory
from sla_ledger.domain.time import is_aware
from sla_ledger.exceptions import BackupRefused, StoreError

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger


@dataclass(frozen=True)
class BackupReport:
    """What a backup run did, and what the backup holds now."""

    path: Path
    events: int
    added: int
    appended: bool
    first_position: int | None
    last_position: int | None
    last_recorded_at: datetime | None
    updated_at: datetime
    digest: str
    """The log digest ``SIZE:ROOT`` of the backup's events: the source log's at that size."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore wrote. ``last_position`` is the source log's position of the last
    event restored; ``backup_updated_at`` is when the backup last read its source."""

    path: Path
    target: str
    events: int
    probes: int
    backup_events: int
    last_position: int | None
    last_recorded_at: datetime | None
    backup_updated_at: datetime
    digest: str
    """The restored log's digest ``SIZE:ROOT``: that of the backed-up log at that size."""
    splits_instant: bool = False
    """The last event restored and the first one left out were recorded at the same
    instant: maybe one transaction (a month close's statements and credits) cut in two."""


# -- backup ---------------------------------------------------------------------------------


def backup(
    ledger: SlaLedger,
    path: str | os.PathLike[str],
    *,
    append: bool = False,
    on_progress: Progress | None = None,
) -> BackupReport:
    """Write a consistent backup of the ledger's log, while others go on writing to it.

    Args:
        path: the backup directory. Without ``append`` it must not exist yet (or be
            empty); it appears whole, or not at all.
        append: extend the backup at ``path`` with the events recorded since its last
            run. ``BackupRefused`` unless its events are the start of this ledger's log.
        on_progress: called after each page with (events written, events to write).
    """
    target = Path(path)
    if append:
        return _append(ledger, target, on_progress)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise BackupRefused(
            f"{target} exists: give a new directory for a new backup, or append to it"
        )
    stop = ledger.recorder.max_notification_id() or 0
    now = ledger.clock.now()
    with new_directory(target) as directory, open(directory / EVENTS_FILE, "wb") as out:
        log = BackupLog()
        added = log.write(ledger, out, 0, stop, on_progress)
        manifest = log.manifest(backup_store.source(ledger), now, now)
        write_manifest(directory, manifest)
    return _report(target, manifest, added, appended=False)


def _append(ledger: SlaLedger, target: Path, on_progress: Progress | None) -> BackupReport:
    read_manifest(target)  # a clear refusal when there is no backup at all
    with locked(target / EVENTS_FILE) as stream:
        old = read_manifest(target)  # again: another run may have ended meanwhile
        checked = check_events(stream, old, str(target / EVENTS_FILE))
        backup_store.check_prefix(ledger, old, target)
        stop = ledger.recorder.max_notification_id() or 0
        now = ledger.clock.now()
        stream.seek(old.bytes)
        stream.truncate()  # what a killed run left after the backup
        log = BackupLog.continuing(old, checked.hasher, checked.frontier)
        added = log.write(ledger, stream, old.last_position or 0, stop, on_progress)
        manifest = log.manifest(old.source, old.created_at, now)
        write_manifest(target, manifest)
    return _report(target, manifest, added, appended=True)


def _report(target: Path, manifest: Manifest, added: int, *, appended: bool) -> BackupReport:
    return BackupReport(
        path=target,
        events=manifest.events,
        added=added,
        appended=appended,
        first_position=manifest.first_position,
        last_position=manifest.last_position,
        last_recorded_at=manifest.last_event.recorded_at if manifest.last_event else None,
        updated_at=manifest.updated_at,
        digest=manifest.digest,
    )


# -- restore --------------------------------------------------------------------------------


def restore(
    path: str | os.PathLike[str],
    url: str,
    *,
    until: datetime | int | None = None,
    position: int | None = None,
    on_progress: Progress | None = None,
    cipher_key: str | None = None,
) -> RestoreReport:
    """Rebuild a ledger from a backup, whole or up to a point, in a new, empty store.

    Args:
        url: the new store (``sqlite:///FILE.db`` or ``postgresql://...``); it must
            hold no event. A new SQLite file is removed again if the restore fails.
        until: an aware ``datetime``: the log up to the first event recorded after it;
            an ``int`` N: the first N events (the size of a log digest).
        position: the log up to and including this position of the source log.
        on_progress: called now and then with (lines read, lines to restore).
        cipher_key: encrypt the restored events with this key, as ``open_ledger`` does
            (default ``$SLA_LEDGER_CIPHER_KEY``; empty: no encryption).
    """
    directory = Path(path)
    manifest = read_manifest(directory)
    instant, count = _cut(manifest, until, position)
    with _events_file(directory) as stream:  # one for the check and the import
        around = frozenset() if count is None else frozenset({count, count + 1})
        name = str(directory / EVENTS_FILE)
        checked = check_events(stream, manifest, name, instant or count, around)
        cut = checked.cut
        with backup_store.empty_target(url, cipher_key) as (ledger, target):
            stream.seek(0)
            report = _import(ledger, stream, manifest, cut, on_progress)
            digest = str(ledger.digest())
            if digest != checked.cut_digest:  # what was written is not what was read
                raise StoreError(
                    f"the restored log's digest is {digest}, not {checked.cut_digest} as the "
                    f"backup's first {cut} lines: run 'sla-ledger verify' on {target}"
                )
            last_recorded = backup_store.last_recorded_at(ledger)
    return RestoreReport(
        path=directory,
        target=target,
        events=report.events,
        probes=report.probes,
        backup_events=manifest.events,
        last_position=manifest.position_of(cut) if cut else None,
        last_recorded_at=last_recorded,
        backup_updated_at=manifest.updated_at,
        digest=digest,
        splits_instant=count is not None and _same_instant(checked.kept, count),
    )


@contextmanager
def _events_file(directory: Path) -> Iterator[IO[bytes]]:
    try:
        stream = open(directory / EVENTS_FILE, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise BackupRefused(f"{directory} is damaged: it has no {EVENTS_FILE}") from None
    with stream:
        yield stream


def _import(
    ledger: SlaLedger,
    stream: IO[bytes],
    manifest: Manifest,
    cut: int,
    on_progress: Progress | None,
) -> ImportReport:
    lines = lines_within(stream, manifest.bytes)
    first = (raw for _, raw in zip(range(cut), lines, strict=False))
    return import_jsonl(
        ledger,
        cast(IO[bytes], first),  # import_jsonl only iterates over its lines
        on_progress=(lambda done: on_progress(done, cut)) if on_progress else None,
    )


def _same_instant(lines: dict[int, bytes], cut: int) -> bool:
    last, next_ = (line_head(lines[n]) if n in lines else None for n in (cut, cut + 1))
    return last is not None and next_ is not None and last[1] == next_[1]


def _cut(
    manifest: Manifest, until: datetime | int | None, position: int | None
) -> tuple[datetime | None, int | None]:
    """(instant, number of events) to restore up to; at most one is not None."""
    if until is not None and position is not None:
        raise BackupRefused("restore up to an instant, a number of events or a position: one")
    if position is not None:
        last = manifest.last_position
        if position < 1:
            raise BackupRefused(f"position {position} is not a log position: they start at 1")
        if last is None or position > last:
            raise BackupRefused(
                f"the backup ends at position {last or 0} (it last read its store at "
                f"{manifest.updated_at.isoformat()}): events after it were not backed up, "
                f"so it cannot restore up to position {position}"
            )
        return None, manifest.lines_through(position)
    if isinstance(until, datetime):
        if not is_aware(until):
            raise BackupRefused(f"until {until.isoformat()} has no UTC offset: give one")
        return until, None
    if until is None:
        return None, None
    if isinstance(until, bool) or until < 0:
        raise BackupRefused(f"until {until!r} is not a number of events (0, 1, 2, ...)")
    if until > manifest.events:
        raise BackupRefused(
            f"the backup holds {manifest.events} events, so it cannot restore the first {until}"
        )
    return None, until


__all__ = ["BackupReport", "Progress", "RestoreReport", "backup", "restore"]
