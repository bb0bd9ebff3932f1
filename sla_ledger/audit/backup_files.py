"""The files of a backup, and its manifest (``backup_check`` checks one against the other).

A backup is a directory::

    BACKUP/
      events.jsonl    the log, in the open interchange format (docs/interchange.md)
      manifest.json   what events.jsonl holds, and where each line was in the source log

The manifest is the commit point of every backup run: the backup is the first
``bytes`` bytes of events.jsonl, ``events`` whole lines whose SHA-256 is
``sha256`` and whose log digest is ``digest``. A run killed while appending
leaves bytes after them, which nothing reads and the next run cuts off.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    model_validator,
)

from sla_ledger.adapters.files import written_whole
from sla_ledger.exceptions import BackupRefused

FORMAT: Final = "sla-ledger-backup"
FORMAT_VERSION: Final = 1
EVENTS_FILE = "events.jsonl"
MANIFEST_FILE = "manifest.json"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    """The store a backup was made from: its kind and where it is, never a password."""

    kind: Literal["sqlite", "postgresql"]
    store: str


class LastEvent(_Model):
    """A backup's last event: its type, stream, version and recording time."""

    type: str
    originator_id: UUID
    originator_version: PositiveInt
    recorded_at: AwareDatetime


class Manifest(_Model):
    """What a backup holds. ``positions`` are runs ``[first position, count]`` of the
    source log's positions, line after line (PostgreSQL's log may skip a position)."""

    format: Literal["sla-ledger-backup"] = FORMAT
    format_version: Literal[1] = FORMAT_VERSION
    created_at: AwareDatetime
    updated_at: AwareDatetime
    source: Source
    events: NonNegativeInt
    bytes: NonNegativeInt
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    digest: str = Field(pattern=r"^\d+:[0-9a-f]{64}$")
    """The log digest ``SIZE:ROOT`` of the backup's events (docs/log-digest.md)."""
    positions: tuple[tuple[PositiveInt, PositiveInt], ...]
    first_recorded_at: AwareDatetime | None
    last_event: LastEvent | None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if sum(count for _, count in self.positions) != self.events:
            raise ValueError("the position runs do not add up to the number of events")
        ends = [first + count - 1 for first, count in self.positions]
        if any(end >= first for end, (first, _) in zip(ends, self.positions[1:], strict=False)):
            raise ValueError("the position runs are not in increasing order")
        if (self.last_event is None) != (self.events == 0):
            raise ValueError("last_event must be given exactly when there are events")
        if int(self.digest.split(":")[0]) != self.events:
            raise ValueError("the digest's size is not the number of events")
        return self

    @property
    def first_position(self) -> int | None:
        return self.positions[0][0] if self.positions else None

    @property
    def last_position(self) -> int | None:
        first, count = self.positions[-1] if self.positions else (1, 0)
        return first + count - 1 if self.positions else None

    def lines_through(self, position: int) -> int:
        """How many lines hold events at source positions up to ``position``."""
        lines = 0
        for first, count in self.positions:
            if position < first:
                break
            lines += min(count, position - first + 1)
        return lines

    def position_of(self, line: int) -> int:
        """The source log position of the event on ``line`` (counted from 1)."""
        for first, count in self.positions:
            if line <= count:
                return first + line - 1
            line -= count
        raise IndexError(f"the backup has no line {line}")


def read_manifest(directory: Path) -> Manifest:
    """The manifest of the backup in ``directory``; ``BackupRefused`` when there is none."""
    path = directory / MANIFEST_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BackupRefused(
            f"{directory} is not a backup: it has no {MANIFEST_FILE} "
            "(a backup appears whole, with its manifest, or not at all)"
        ) from None
    except (OSError, ValueError, RecursionError) as error:  # too deeply nested
        raise BackupRefused(f"cannot read {path}: {error}") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupRefused(f"{path} is not the manifest of an sla-ledger backup")
    if version != FORMAT_VERSION:
        raise BackupRefused(
            f"{path} is of backup format version {version!r}; "
            f"this sla-ledger reads version {FORMAT_VERSION}"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "manifest"
        raise BackupRefused(f"{path} is damaged: {where}: {first['msg']}") from None


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace the manifest whole: the moment a backup run takes effect."""
    with (
        written_whole(directory / MANIFEST_FILE) as partial,
        open(partial, "w", encoding="utf-8") as out,
    ):
        out.write(manifest.model_dump_json(indent=2) + "\n")
        out.flush()
        os.fsync(out.fileno())
    sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be synced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "EVENTS_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "LastEvent",
    "Manifest",
    "Source",
    "read_manifest",
    "sync_directory",
    "write_manifest",
]
