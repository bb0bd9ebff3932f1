"""The log's Merkle leaves: one row per event, written in the same transaction as it.

Leaf ``i`` of the log digest is the SHA-256 leaf hash (RFC 6962) of the ``i``-th
event's interchange line, the line ``sla-ledger export`` writes for it (see
docs/log-digest.md). The hash is taken when the event is recorded and kept in
``sla_log_leaves`` by log position, so that ``verify`` can tell which stored
event no longer hashes to what was recorded, and a digest costs no re-rendering.

Each row also keeps the event's ``recorded_at``, so that a writer can check,
holding the store's write lock, that it does not record before the event
preceding it: two writers stamp their events before they take the lock, and
the log must stay in knowledge-time order (R14) whoever commits first. A
region binding stands outside that order (it says when its store was created,
which may be after the history imported into it): its row keeps ``UNORDERED``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from sla_ledger.domain import events as ev
from sla_ledger.domain.time import to_us

TABLE = "sla_log_leaves"
PAGE = 10_000

UNORDERED = -1
Leaf = tuple[bytes, int]
"""A leaf hash and its event's ``recorded_at`` in microseconds (or ``UNORDERED``)."""


def stamp(event: ev.DomainEvent) -> int:
    """The ``recorded_at`` a leaf row keeps: ``UNORDERED`` for a region binding."""
    return UNORDERED if isinstance(event, ev.LedgerBound) else to_us(event.recorded_at)


class ClockBehind(IntegrityError):
    """Events stamped before the last one in the store: another writer committed first.

    Nothing was written; stamp the events again with a clock no earlier than
    ``last_us`` and retry.
    """

    def __init__(self, last_us: int) -> None:
        super().__init__(f"the store's last event is recorded at {last_us} us, after these")
        self.last_us = last_us


def check_not_behind(last_us: int | None, leaves: Sequence[Leaf]) -> None:
    """Raise ``ClockBehind`` when one of ``leaves`` is stamped before ``last_us``, the
    store's last ordered stamp."""
    stamps = [us for _, us in leaves if us != UNORDERED]
    if stamps and last_us is not None and min(stamps) < last_us:
        raise ClockBehind(last_us)


class LeafStore(Protocol):
    """What a recorder offers beyond eventsourcing's: the leaf recorded with each event."""

    def select_leaves(self, start: int, stop: int) -> dict[int, bytes]:
        """``{position: leaf}`` of the recorded leaves with ``start <= position <= stop``."""
        ...

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The log position of an event, None when the store holds no such event."""
        ...


def recorded_leaves(store: LeafStore, stop: int) -> Iterator[tuple[int, bytes]]:
    """Every recorded ``(position, leaf)`` up to ``stop``, in position order."""
    start = 1
    while start <= stop:
        page = store.select_leaves(start, min(stop, start + PAGE - 1))
        yield from sorted(page.items())
        start += PAGE
