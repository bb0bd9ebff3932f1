"""Writing a backup: its lines, a new backup's directory renamed into place when it is
complete, and one appending run at a time (an advisory lock on its events file)."""

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

from sla_ledger.adapters.jsonl import interchange_line
from sla_ledger.audit.backup_files import LastEvent, Manifest, Source, sync_directory
from sla_ledger.domain import events as ev
from sla_ledger.exceptions import BackupRefused
from sla_ledger.merkle import Frontier, leaf_hash

if TYPE_CHECKING:
    from hashlib import _Hash

    from sla_ledger.application import SlaLedger

PAGE = 500

Progress = Callable[[int, int], None]
"""Called now and then with (events done, events to do)."""


@dataclass
class BackupLog:
    """A backup's lines so far: how many, their size and hash, the runs of their source
    positions, when the first was recorded, what the last one is, and their Merkle tree."""

    events: int = 0
    size: int = 0
    hasher: _Hash = field(default_factory=hashlib.sha256)
    runs: list[tuple[int, int]] = field(default_factory=list)
    first_recorded_at: datetime | None = None
    last: LastEvent | None = None
    frontier: Frontier = field(default_factory=Frontier)

    @classmethod
    def continuing(cls, manifest: Manifest, hasher: _Hash, frontier: Frontier) -> BackupLog:
        return cls(
            manifest.events,
            manifest.bytes,
            hasher,
            list(manifest.positions),
            manifest.first_recorded_at,
            manifest.last_event,
            frontier,
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
                self._add(notification.id, event, out)
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

    def _add(self, position: int, event: ev.DomainEvent, out: IO[bytes]) -> None:
        text = interchange_line(event).encode()
        line = text + b"\n"
        out.write(line)
        self.hasher.update(line)
        self.frontier.append(leaf_hash(text))  # as the store's leaf of it (log_leaves)
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
        return Manifest(
            created_at=created_at,
            updated_at=updated_at,
            source=source,
            events=self.events,
            bytes=self.size,
            sha256=self.hasher.hexdigest(),
            digest=str(self.frontier.digest()),
            positions=tuple(self.runs),
            first_recorded_at=self.first_recorded_at,
            last_event=self.last,
        )


@contextmanager
def new_directory(target: Path) -> Iterator[Path]:
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
def locked(path: Path) -> Iterator[IO[bytes]]:
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


__all__ = ["PAGE", "BackupLog", "Progress", "locked", "new_directory"]
