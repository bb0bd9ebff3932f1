"""The open interchange format: a ledger as JSON Lines, one event per line, in log order.

Each line is ``{"type", "schema_version", "recorded_at", "originator_id",
"originator_version", ...fields}`` (``jsonl_lines`` turns events into lines and
back); docs/interchange.md describes the format and docs/schema/ holds the
JSON Schema of every line type.

Import checks the whole file before it writes anything, then writes every event
in one transaction, keeping the events' ids and ``recorded_at``: an import
restores history as it was recorded, it does not record it again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent

from sla_ledger.adapters.files import written_whole
from sla_ledger.adapters.jsonl_checks import ImportCheck
from sla_ledger.adapters.jsonl_lines import Refused, from_interchange, to_interchange
from sla_ledger.adapters.log_leaves import stamp
from sla_ledger.adapters.scope import LogView
from sla_ledger.domain import events as ev
from sla_ledger.exceptions import ImportFailed, StoreError
from sla_ledger.merkle import leaf_hash

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

PROGRESS_EVERY = 1000

Progress = Callable[[int], None]
"""Called now and then with the number of events (export) or lines (import) read so far."""


@dataclass(frozen=True)
class ImportReport:
    """What ``import_jsonl`` did: lines read, events and probes written."""

    lines: int
    events: int
    probes: int = 0


# -- export ---------------------------------------------------------------------------------


def export_jsonl(
    ledger: SlaLedger,
    out: IO[str] | str | os.PathLike[str],
    on_progress: Progress | None = None,
    *,
    customer: str | None = None,
) -> int:
    """Write every event of the ledger, in log order, as JSON Lines; return how many.

    Args:
        out: a text stream, or a path (written whole or not at all).
        on_progress: called after each page with the number of events read so far.
        customer: write only this customer's share of the log: everything needed to
            recompute the customer's statements and nothing about any other customer
            (see ``sla_ledger.adapters.scope``); ``UnknownReference`` when no contract
            names the customer.
    """
    view = LogView(ledger, customer)
    if not isinstance(out, str | os.PathLike):
        return write_jsonl(view, out, on_progress)
    with (
        written_whole(out) as partial,
        open(partial, "w", encoding="utf-8", newline="\n") as stream,
    ):
        return write_jsonl(view, stream, on_progress)


def write_jsonl(view: LogView, out: IO[str], on_progress: Progress | None = None) -> int:
    """Write the events of a view as JSON Lines; return how many."""
    written = 0
    for _, event in view.events(on_progress):
        out.write(interchange_line(event) + "\n")
        written += 1
    return written


def interchange_line(event: ev.DomainEvent) -> str:
    """One event as its interchange line, without the line end."""
    return json.dumps(to_interchange(event), ensure_ascii=False, separators=(",", ":"))


def leaf_of(event: ev.DomainEvent) -> bytes:
    """The event's leaf in the log digest: the leaf hash of its line, UTF-8, no line end."""
    return leaf_hash(interchange_line(event).encode())


# -- import ---------------------------------------------------------------------------------


def import_jsonl(
    ledger: SlaLedger,
    source: IO[str] | IO[bytes] | str | os.PathLike[str],
    on_progress: Progress | None = None,
) -> ImportReport:
    """Check an interchange file whole, then record all its events in one transaction.

    Refuses with ``ImportFailed`` naming the line and the reason, leaving the store
    exactly as it was. Events keep their ids and ``recorded_at``.

    Args:
        source: a path, or a stream of lines.
        on_progress: called every 1000 lines with the number of lines read so far.
    """
    checks = ImportCheck(ledger)
    stored: list[StoredEvent] = []
    leaves: list[tuple[bytes, int]] = []
    number = 0
    with _reading(source) as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                event = from_interchange(raw)
                keep = checks.admit(event, number)
            except Refused as refusal:
                raise ImportFailed(f"line {number}: {refusal}") from None
            if keep:  # not a file's binding when the store has its own
                stored.append(ledger.mapper.to_stored_event(event))
                leaves.append((leaf_of(event), stamp(event)))
            if on_progress and number % PROGRESS_EVERY == 0:
                on_progress(number)
    checks.residency()
    checks.probes_are_new()
    if stored:
        try:
            ledger.import_events(stored, checks.probe_rows(), leaves)
        except PersistenceError as error:
            with suppress(PersistenceError):  # name the clashing line if the store still answers
                checks.explain_conflict()
            if isinstance(error, IntegrityError):
                raise ImportFailed(
                    "another writer recorded the same events or probes while importing; "
                    "nothing was imported: check the store and import again"
                ) from None
            raise StoreError(f"cannot write the import, nothing was imported: {error}") from None
    if on_progress:
        on_progress(number)
    return ImportReport(lines=number, events=len(stored), probes=checks.probe_count)


@contextmanager
def _reading(
    source: IO[str] | IO[bytes] | str | os.PathLike[str],
) -> Iterator[Iterable[str | bytes]]:
    if not isinstance(source, str | os.PathLike):
        yield source
        return
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed below, after the lines are read
    except OSError as error:
        raise ImportFailed(f"cannot read {os.fspath(source)!r}: {error.strerror}") from None
    with stream:
        yield stream


__all__ = [
    "ImportReport",
    "Progress",
    "export_jsonl",
    "import_jsonl",
    "interchange_line",
    "leaf_of",
    "write_jsonl",
]
