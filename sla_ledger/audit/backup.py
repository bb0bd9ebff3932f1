"""Backups of a live ledger, and restores of one up to a point in time.

A backup is a directory with the log as an open interchange file and a manifest
(``backup_files``). It is a consistent prefix of the log while writers go on:
it reads up to the last log position stored when it starts, and no event can
later appear at or below that position. On SQLite there is one writer at a
time and positions are rowids given under its lock; on PostgreSQL every insert
transaction takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` before it draws its
positions from the sequence, so transactions take positions in the order they
commit. PostgreSQL may skip positions (a rolled-back insert still used them),
so a position is not an event count: the manifest keeps the runs of positions.

A first backup is written into a hidden directory beside the target and renamed
into place when complete; an appending run extends events.jsonl in place and
then replaces the manifest whole. Either way a killed run leaves the previous
complete backup, or none. A restore imports the backup, or its first part,
into a new, empty store through ``import_jsonl``, with all its checks.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from glob import escape
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast
from uuid import uuid4

from sla_ledger.adapters.jsonl import import_jsonl, interchange_line
from sla_ledger.audit import backup_store
from sla_ledger.audit.backup_files import (
    EVENTS_FILE,
    LastEvent,
    Manifest,
    Source,
    check_events,
    line_head,
    lines_within,
    read_manifest,
    sync_directory,
    write_manifest,
)
from sla_ledger.domain import events as ev
from sla_ledger.domain.time import is_aware
from sla_ledger.exceptions import BackupRefused

if TYPE_CHECKING:
    from hashlib import _Hash

    from sla_ledger.application import SlaLedger

PAGE = 500

Progress = Callable[[int, int], None]
"""Called now and then with (events done, events to do)."""


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
    with _new_directory(target) as directory, open(directory / EVENTS_FILE, "wb") as out:
        log = _Log()
        added = log.write(ledger, out, 0, stop, on_progress)
        manifest = log.manifest(backup_store.source(ledger), now, now)
        write_manifest(directory, manifest)
    return _report(target, manifest, added, appended=False)


def _append(ledger: SlaLedger, target: Path, on_progress: Progress | None) -> BackupReport:
    read_manifest(target)  # a clear refusal when there is no backup at all
    with _locked(target / EVENTS_FILE) as stream:
        old = read_manifest(target)  # again: another run may have ended meanwhile
        samples = backup_store.samples(old.events)
        checked = check_events(stream, old, str(target / EVENTS_FILE), keep=samples)
        backup_store.check_prefix(ledger, old, checked.kept, target)
        stop = ledger.recorder.max_notification_id() or 0
        now = ledger.clock.now()
        stream.seek(old.bytes)
        stream.truncate()  # what a killed run left after the backup
        log = _Log.continuing(old, checked.hasher)
        added = log.write(ledger, stream, old.last_position or 0, stop, on_progress)
        manifest = log.manifest(old.source, old.created_at, now)
        write_manifest(target, manifest)
    return _report(target, manifest, added, appended=True)


@dataclass
class _Log:
    """The backup's lines so far: count, size, hash, position runs, first and last event."""

    events: int = 0
    size: int = 0
    hasher: _Hash = field(default_factory=hashlib.sha256)
    runs: list[tuple[int, int]] = field(default_factory=list)
    first_recorded_at: datetime | None = None
    last: LastEvent | None = None

    @classmethod
    def continuing(cls, manifest: Manifest, hasher: _Hash) -> _Log:
        return cls(
            manifest.events,
            manifest.bytes,
            hasher,
            list(manifest.positions),
            manifest.first_recorded_at,
            manifest.last_event,
        )

    def write(
        self,
        ledger: SlaLedger,
        out: IO[bytes],
        after: int,
        stop: int,
        on_progress: Progress | None,
    ) -> int:
        """Write the events at positions after ``after`` up to ``stop``; return how many."""
        added, start = 0, after + 1
        while start <= stop:
            page = ledger.recorder.select_notifications(start=start, limit=PAGE, stop=stop)
            if not page:
                break
            for notification in page:
                event = cast(ev.DomainEvent, ledger.mapper.to_domain_event(notification))
                self.add(notification.id, event, out)
            added += len(page)
            start = page[-1].id + 1
            out.flush()
            if on_progress:
                on_progress(added, max(added, stop - after))
        out.flush()
        os.fsync(out.fileno())
        if on_progress:
            on_progress(added, added)
        return added

    def add(self, position: int, event: ev.DomainEvent, out: IO[bytes]) -> None:
        line = (interchange_line(event) + "\n").encode()
        out.write(line)
        self.hasher.update(line)
        self.events += 1
        self.size += len(line)
        if self.runs and sum(self.runs[-1]) == position:
            self.runs[-1] = (self.runs[-1][0], self.runs[-1][1] + 1)
        else:
            self.runs.append((position, 1))
        if self.first_recorded_at is None:
            self.first_recorded_at = event.recorded_at
        self.last = LastEvent(
            type=type(event).__name__,
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            recorded_at=event.recorded_at,
        )

    def manifest(self, source: Source, created_at: datetime, updated_at: datetime) -> Manifest:
        # DIGEST (issue 3, tamper evidence): when SlaLedger.digest() lands, record here the
        # source log's digest (SIZE:ROOT) at the backup's last event, read at the same stop.
        return Manifest(
            created_at=created_at,
            updated_at=updated_at,
            source=source,
            events=self.events,
            bytes=self.size,
            sha256=self.hasher.hexdigest(),
            positions=tuple(self.runs),
            first_recorded_at=self.first_recorded_at,
            last_event=self.last,
        )


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
    )


# -- files written whole ---------------------------------------------------------------------


@contextmanager
def _new_directory(target: Path) -> Iterator[Path]:
    """A hidden directory beside ``target``, renamed to it when the block ends."""
    parent = target.parent
    if not parent.is_dir():
        raise BackupRefused(f"cannot write {target}: {parent} is not a directory")
    prefix = f".{target.name}.partial-"
    for stale in parent.glob(escape(prefix) + "*"):
        with _directory_lock(stale) as ours:
            if ours:  # nobody holds it: left by a killed run
                shutil.rmtree(stale, ignore_errors=True)
    partial = parent / f"{prefix}{uuid4().hex[:12]}"
    partial.mkdir()  # as mkdir would make the target itself, under the umask
    try:
        with _directory_lock(partial):
            yield partial
            sync_directory(partial)
            try:
                partial.rename(target)
            except OSError:
                raise BackupRefused(
                    f"{target} appeared while the backup was written; it was left alone"
                ) from None
        sync_directory(parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[IO[bytes]]:
    """``path`` open for reading and writing, with no other backup run appending to it."""
    try:
        stream = open(path, "r+b")  # noqa: SIM115 - closed below
    except OSError as error:
        raise BackupRefused(f"cannot append to {path}: {error.strerror}") from None
    with stream:
        if not _try_lock(stream.fileno()):
            raise BackupRefused(f"another backup run is appending to {path}; try again later")
        yield stream


@contextmanager
def _directory_lock(directory: Path) -> Iterator[bool]:
    """Try to lock a directory; yields whether this process holds the lock."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        yield _try_lock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """An exclusive advisory lock, released when ``fd`` is closed; POSIX only."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# -- restore --------------------------------------------------------------------------------


def restore(
    path: str | os.PathLike[str],
    url: str,
    *,
    until: datetime | int | None = None,
    position: int | None = None,
    on_progress: Progress | None = None,
) -> RestoreReport:
    """Rebuild a ledger from a backup, whole or up to a point, in a new, empty store.

    Args:
        url: the new store (``sqlite:///FILE.db`` or ``postgresql://...``); it must
            hold no event. A new SQLite file is removed again if the restore fails.
        until: an aware ``datetime``: the log up to the first event recorded after it;
            an ``int`` N: the first N events (the size of a log digest).
        position: the log up to and including this position of the source log.
        on_progress: called now and then with (lines read, lines to restore).
    """
    directory = Path(path)
    manifest = read_manifest(directory)
    instant, count = _cut(manifest, until, position)
    events_path = directory / EVENTS_FILE
    around = frozenset() if count is None else frozenset({count, count + 1})
    try:
        with open(events_path, "rb") as stream:
            checked = check_events(stream, manifest, str(events_path), instant, around)
    except FileNotFoundError:
        raise BackupRefused(f"{directory} is damaged: it has no {EVENTS_FILE}") from None
    cut = checked.cut if count is None else count
    with backup_store.empty_target(url) as (ledger, target):
        with open(events_path, "rb") as stream:
            lines = lines_within(stream, manifest.bytes)
            first = (raw for _, raw in zip(range(cut), lines, strict=False))
            report = import_jsonl(
                ledger,
                cast(IO[bytes], first),  # import_jsonl only iterates over its lines
                on_progress=(lambda done: on_progress(done, cut)) if on_progress else None,
            )
        # DIGEST (issue 3, tamper evidence): when SlaLedger.digest() lands, check here that
        # ledger.digest() equals the digest the manifest records for the backup's first
        # ``cut`` events (for a cut, the backup's lines give the tree to check it against),
        # and refuse with the restored store's and the manifest's roots if not.
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
        splits_instant=count is not None and _same_instant(checked.kept, count),
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
