"""The probe index: one compact row per recorded probe, written in the same
transaction as the batch event, so that a probe is recorded once and only once.

A row is ``(series, at_us, ok, latency_us)`` keyed by ``(series, at_us, ok)``:
``series`` is a stable 63-bit hash of ``target@location``, ``latency_us`` is
-1 when absent. It is derived data: rebuilt by replaying the log.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Protocol

ProbeRow = tuple[int, int, int, int]
TABLE = "sla_probe_index"


def series_key(target: str, location: str) -> int:
    digest = blake2b(f"{target}@{location}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class ProbeIndex(Protocol):
    """What a recorder offers beyond eventsourcing's: probe look-ups for idempotency."""

    def existing_probes(self, series: int, lo: int, hi: int) -> dict[tuple[int, int], int]:
        """``{(at_us, ok): latency_us}`` of recorded probes of a series in ``[lo, hi]``."""
        ...
