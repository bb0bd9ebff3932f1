"""The files of a backup: its manifest, and the check of its events file against it.

A backup is a directory::

    BACKUP/
      events.jsonl    the log, in the open interchange format (docs/interchange.md)
      manifest.json   what events.jsonl holds, and where each line was in the source log

The manifest is the commit point of every backup run: the backup is the first
``bytes`` bytes of events.jsonl, ``events`` whole lines whose SHA-256 is
``sha256``. A run killed while appending leaves bytes after them, which
nothing reads and the next run cuts off.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Literal, NoReturn, Self
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
from sla_ledger.adapters.jsonl_lines import Refused, from_interchange
from sla_ledger.exceptions import BackupRefused, ImportFailed

if TYPE_CHECKING:
    from hashlib import _Hash

FORMAT: Final = "sla-ledger-backup"
FORMAT_VERSION: Final = 1
EVENTS_FILE = "events.jsonl"
MANIFEST_FILE = "manifest.json"

# What the backup writes first on every line (jsonl_lines.to_interchange's key order);
# any other line is read whole.
_HEAD = re.compile(rb'^\{"type":"(\w+)","schema_version":\d+,"recorded_at":"([^"]+)"')


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    """The store a backup was made from: its kind and where it is, never a password."""

    kind: Literal["sqlite", "postgresql"]
    store: str


class LastEvent(_Model):
    """The identity of a backup's last event, to recognise its store on the next run."""

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
    except (OSError, ValueError) as error:
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


@dataclass(frozen=True)
class Checked:
    """A backup's events file, checked: ``cut`` is how many leading lines were recorded
    at or before the instant asked (all of them without one; a region binding counts as
    before it); ``hasher`` the SHA-256 so far, to go on with."""

    cut: int
    hasher: _Hash
    kept: dict[int, bytes]


def check_events(
    stream: IO[bytes],
    manifest: Manifest,
    name: str,
    until: datetime | None = None,
    keep: frozenset[int] = frozenset(),
) -> Checked:
    """Read the backup's lines from ``stream`` and check them against the manifest.

    ``ImportFailed`` names the line where the file is cut short or damaged.

    Args:
        keep: the numbers of lines to return in ``Checked.kept``.
    """
    hasher = hashlib.sha256()
    lines, whole = 0, True
    cut: int | None = None
    kept: dict[int, bytes] = {}
    for raw in lines_within(stream, manifest.bytes):
        hasher.update(raw)
        whole = raw.endswith(b"\n")
        lines += whole
        if lines in keep:
            kept[lines] = raw
        if until is not None and cut is None and _recorded_after(raw, until):
            cut = lines - 1
    size = os.fstat(stream.fileno()).st_size
    if size < manifest.bytes:
        raise ImportFailed(
            f"line {lines + 1}: cut short: {name} ends within it, after {size} of the "
            f"backup's {manifest.bytes} bytes"
            if not whole
            else f"line {lines + 1}: missing: {name} ends after line {lines}, but the "
            f"backup holds {manifest.events} events"
        )
    if not whole or lines != manifest.events or hasher.hexdigest() != manifest.sha256:
        stream.seek(0)
        _locate_damage(stream, manifest, name)
    return Checked(lines if cut is None else cut, hasher, kept)


def lines_within(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    """The lines of the first ``limit`` bytes of ``stream`` (the last may lack its end)."""
    left = limit
    while left > 0:
        raw = stream.readline(left)
        if not raw:
            return
        left -= len(raw)
        yield raw


def _recorded_after(raw: bytes, until: datetime) -> bool:
    head = line_head(raw)
    # A region binding says when its store was created, not when history happened.
    return head is not None and head[0] != "LedgerBound" and head[1] > until


def line_head(raw: bytes) -> tuple[str, datetime] | None:
    """The type and ``recorded_at`` of a line; None for a damaged one (checks name it)."""
    head = _HEAD.match(raw)
    try:
        if head is not None:
            kind, recorded = head.group(1).decode(), head.group(2).decode()
        else:
            obj = json.loads(raw)
            kind, recorded = obj["type"], obj["recorded_at"]
        return str(kind), datetime.fromisoformat(recorded)
    except (ValueError, KeyError, TypeError):
        return None


def _locate_damage(stream: IO[bytes], manifest: Manifest, name: str) -> NoReturn:
    for number, raw in enumerate(lines_within(stream, manifest.bytes), start=1):
        try:
            from_interchange(raw)
        except Refused as refusal:
            raise ImportFailed(
                f"line {number}: {refusal} ({name} was changed after the backup wrote it)"
            ) from None
    raise ImportFailed(
        f"{name} does not match the SHA-256 its manifest records: it was changed after the "
        "backup wrote it; every line is still a well-formed event, so an event's content "
        "was altered: restore from another copy of the backup"
    )


__all__ = [
    "EVENTS_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "Checked",
    "LastEvent",
    "Manifest",
    "Source",
    "check_events",
    "line_head",
    "lines_within",
    "read_manifest",
    "sync_directory",
    "write_manifest",
]
