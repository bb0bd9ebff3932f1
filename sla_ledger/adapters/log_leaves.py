"""The log's Merkle leaves: one row per event, written in the same transaction as it.

Leaf ``i`` of the log digest is the SHA-256 leaf hash (RFC 6962) of the ``i``-th
event's interchange line, the line ``sla-ledger export`` writes for it (see
docs/log-digest.md). The hash is taken when the event is recorded and kept in
``sla_log_leaves`` by log position, so that ``verify`` can tell which stored
event no longer hashes to what was recorded, and a digest costs no re-rendering.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol
from uuid import UUID

TABLE = "sla_log_leaves"
PAGE = 10_000


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
