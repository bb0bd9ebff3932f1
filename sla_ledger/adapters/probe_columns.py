"""The stored form of a probe batch: its columns packed as little-endian binary.

A ``ProbesRecorded`` event is stored as a small JSON document listing its
series (target, location, count, whether latencies were given) and three
columns for the whole batch, series after series, as base64 of packed
arrays: ``at`` (int64 microseconds), ``ok`` (one byte per outcome) and
``latency_us`` (int64 microseconds, -1 for none; absent when no series has
latencies). Decoding costs a few C passes per batch, not an object per
probe or per series, which keeps opening a ledger of months of probes fast.
This is the store's private encoding; the interchange format (JSON Lines)
writes every probe instant as RFC 3339 text.
"""

from __future__ import annotations

import json
import sys
from array import array
from base64 import b64decode, b64encode
from collections.abc import Sequence
from datetime import datetime
from typing import cast
from uuid import UUID

from sla_ledger.domain.events import ProbeSeries, ProbesRecorded

ENCODING = "columns/2"
_SWAP = sys.byteorder == "big"


class StoredSeries:
    """A series read back from the store: ``ProbeSeries``'s fields over packed columns.
    Latencies, which no figure needs, are unpacked only when asked for."""

    __slots__ = ("_latency", "at", "location", "ok", "target")

    def __init__(
        self, target: str, location: str, at: array[int], ok: bytes, latency: array[int] | None
    ) -> None:
        self.target, self.location, self.at, self.ok = target, location, at, ok
        self._latency = latency

    @property
    def latency_us(self) -> list[int | None] | None:
        if self._latency is None:
            return None
        return [None if us < 0 else us for us in self._latency]


def encode(event: ProbesRecorded) -> bytes:
    at, ok, latency = array("q"), bytearray(), array("q")
    with_latency = any(series.latency_us is not None for series in event.series)
    for series in event.series:
        at.extend(series.at)
        ok.extend(bytes(series.ok))
        if with_latency:
            given = series.latency_us or [None] * len(series.at)
            latency.extend(-1 if us is None else us for us in given)
    document = {
        "encoding": ENCODING,
        "originator_id": str(event.originator_id),
        "originator_version": event.originator_version,
        "recorded_at": event.recorded_at.isoformat(),
        "series": [
            [s.target, s.location, len(s.at), s.latency_us is not None] for s in event.series
        ],
        "at": _pack(at),
        "ok": b64encode(ok).decode(),
        "latency_us": _pack(latency) if with_latency else None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def decode(state: bytes) -> ProbesRecorded:
    """The event; its series are ``StoredSeries`` views over the packed columns."""
    data = json.loads(state)
    if data.get("encoding") != ENCODING:
        raise ValueError(f"unknown probe batch encoding {data.get('encoding')!r}")
    at, ok = _unpack(data["at"]), b64decode(data["ok"])
    latency = None if data["latency_us"] is None else _unpack(data["latency_us"])
    sizes = [count for _, _, count, _ in data["series"]]
    if not len(at) == len(ok) == sum(sizes) or (latency is not None and len(latency) != len(at)):
        raise ValueError("the batch's columns and series counts disagree")
    series, offset = [], 0
    for target, location, count, has_latency in data["series"]:
        end = offset + count
        latencies = latency[offset:end] if has_latency and latency is not None else None
        series.append(StoredSeries(target, location, at[offset:end], ok[offset:end], latencies))
        offset = end
    return ProbesRecorded.model_construct(
        originator_id=UUID(data["originator_id"]),
        originator_version=data["originator_version"],
        recorded_at=datetime.fromisoformat(data["recorded_at"]),
        # Views with ProbeSeries's fields stand in for validated ProbeSeries.
        series=cast(tuple[ProbeSeries, ...], tuple(series)),
    )


def _pack(values: Sequence[int]) -> str:
    packed = values if isinstance(values, array) else array("q", values)
    if _SWAP:
        packed = array("q", packed)
        packed.byteswap()
    return b64encode(packed.tobytes()).decode()


def _unpack(text: str) -> array[int]:
    values = array("q")
    values.frombytes(b64decode(text))
    if _SWAP:
        values.byteswap()
    return values
