"""The stored form of a probe batch: its columns packed as little-endian binary.

A ``ProbesRecorded`` event is stored as JSON whose per-series ``at``,
``ok`` and ``latency_us`` are base64 of packed arrays (int64 microseconds,
one byte per outcome, int64 microseconds with -1 for "no latency"). Decoding
then costs a base64 pass per column instead of building millions of Python
integers, which is what keeps opening a ledger of months of probes fast.
This is the store's private encoding; the interchange format (JSON Lines)
writes every probe as RFC 3339 text.
"""

from __future__ import annotations

import json
import sys
from array import array
from base64 import b64decode, b64encode
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sla_ledger.domain.events import ProbeSeries, ProbesRecorded

ENCODING = "columns/1"
_SWAP = sys.byteorder == "big"


def encode(event: ProbesRecorded) -> bytes:
    return json.dumps(
        {
            "encoding": ENCODING,
            "originator_id": str(event.originator_id),
            "originator_version": event.originator_version,
            "recorded_at": event.recorded_at.isoformat(),
            "series": [
                {
                    "target": series.target,
                    "location": series.location,
                    "at": _pack(series.at),
                    "ok": b64encode(bytes(series.ok)).decode(),
                    "latency_us": None
                    if series.latency_us is None
                    else _pack(-1 if us is None else us for us in series.latency_us),
                }
                for series in event.series
            ],
        },
        separators=(",", ":"),
    ).encode()


def decode(state: bytes) -> ProbesRecorded:
    """The event, with ``at`` as ``array('q')`` and ``ok`` as ``bytes`` (both sequences)."""
    data = json.loads(state)
    if data.get("encoding") != ENCODING:
        raise ValueError(f"unknown probe batch encoding {data.get('encoding')!r}")
    series = []
    for item in data["series"]:
        at, ok = _unpack(item["at"]), b64decode(item["ok"])
        latency = None if item["latency_us"] is None else _latencies(_unpack(item["latency_us"]))
        if len(ok) != len(at) or (latency is not None and len(latency) != len(at)):
            raise ValueError(f"series {item['target']}@{item['location']} has unequal columns")
        # Packed columns stand in for the lists: the same values, as sequences.
        series.append(
            ProbeSeries.model_construct(
                target=item["target"],
                location=item["location"],
                at=at,  # type: ignore[arg-type]
                ok=ok,  # type: ignore[arg-type]
                latency_us=latency,
            )
        )
    return ProbesRecorded.model_construct(
        originator_id=UUID(data["originator_id"]),
        originator_version=data["originator_version"],
        recorded_at=datetime.fromisoformat(data["recorded_at"]),
        series=tuple(series),
    )


def _pack(values: Iterable[int]) -> str:
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


def _latencies(values: array[int]) -> list[int | None]:
    return [None if us < 0 else us for us in values]


__all__ = ["ENCODING", "decode", "encode"]
