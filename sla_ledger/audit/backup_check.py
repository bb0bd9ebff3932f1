"""Checking a backup's events file against its manifest, line by line, before a restore
or an append trusts it: its length, its lines, its SHA-256 and its log digest."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, NoReturn

from sla_ledger.adapters.jsonl_lines import Refused, from_interchange
from sla_ledger.audit.backup_files import Manifest
from sla_ledger.exceptions import BackupRefused, ImportFailed
from sla_ledger.merkle import Frontier, leaf_hash

if TYPE_CHECKING:
    from hashlib import _Hash

# What the backup writes first on every line (jsonl_lines.to_interchange's key order);
# any other line is read whole.
_HEAD = re.compile(rb'^\{"type":"(\w+)","schema_version":\d+,"recorded_at":"([^"]+)"')


@dataclass(frozen=True)
class Checked:
    """A backup's events file, checked against its manifest."""

    cut: int
    """How many leading lines to restore."""
    cut_digest: str
    """The log digest ``SIZE:ROOT`` of those lines."""
    hasher: _Hash
    """The SHA-256 of every line, to go on with."""
    frontier: Frontier
    """The Merkle tree of every line, to go on with."""
    kept: dict[int, bytes]


def check_events(
    stream: IO[bytes],
    manifest: Manifest,
    name: str,
    until: datetime | int | None = None,
    keep: frozenset[int] = frozenset(),
) -> Checked:
    """Read the backup's lines from ``stream`` and check them against the manifest.

    ``ImportFailed`` names the line where the file is cut short or damaged.

    Args:
        until: an instant: cut before the first line recorded after it (a region
            binding counts as before it); a number N: cut after line N; None: all lines.
        keep: the numbers of lines to return in ``Checked.kept``.
    """
    hasher, frontier = hashlib.sha256(), Frontier()
    lines, whole = 0, True
    cut: int | None = None
    cut_digest = ""
    kept: dict[int, bytes] = {}
    for raw in lines_within(stream, manifest.bytes):
        hasher.update(raw)
        whole = raw.endswith(b"\n")
        if not whole:
            break
        if cut is None and _cut_before(raw, lines, until):
            cut, cut_digest = lines, str(frontier.digest())
        frontier.append(leaf_hash(raw[:-1]))
        lines += 1
        if lines in keep:
            kept[lines] = raw
    _check_whole(stream, manifest, name, lines, whole, hasher)
    if str(frontier.digest()) != manifest.digest:
        raise BackupRefused(
            f"{name}'s lines have the digest {frontier.digest()}, but its manifest says "
            f"{manifest.digest}: the manifest was changed after the backup wrote it"
        )
    if cut is None:
        cut, cut_digest = lines, str(frontier.digest())
    return Checked(cut, cut_digest, hasher, frontier, kept)


def _cut_before(raw: bytes, lines: int, until: datetime | int | None) -> bool:
    if isinstance(until, datetime):
        return _recorded_after(raw, until)
    return until is not None and lines == until


def _check_whole(
    stream: IO[bytes], manifest: Manifest, name: str, lines: int, whole: bool, hasher: _Hash
) -> None:
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
    except (ValueError, KeyError, TypeError, RecursionError):
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


__all__ = ["Checked", "check_events", "line_head", "lines_within"]
