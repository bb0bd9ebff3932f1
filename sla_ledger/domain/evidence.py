"""Probe evidence in compact columns, as known at any instant (SPEC R3, R6, R14)."""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sla_ledger.domain.time import format_instant, is_aware, to_us
from sla_ledger.exceptions import InvalidEvidence

FOREVER = 2**62


class Probe(NamedTuple):
    """One health-check result: ``target`` probed from ``location`` at ``at``.

    ``target`` is a service id (its own endpoint) or ``service/component/instance``.
    """

    target: str
    location: str
    at: datetime
    ok: bool
    latency_us: int | None = None

    @property
    def probe_id(self) -> str:
        """``target@location@instant#up|down``: the same probe always has the same id."""
        if not is_aware(self.at):
            raise InvalidEvidence(f"probe time {self.at!r} is naive: give it a time zone")
        return probe_id(self.target, self.location, to_us(self.at), self.ok)


def probe_id(target: str, location: str, at_us: int, ok: bool) -> str:
    return f"{target}@{location}@{format_instant(at_us)}#{'up' if ok else 'down'}"


def parse_probe_id(text: str) -> tuple[str, str, int, bool]:
    """``(target, location, at_us, ok)`` of a probe id, or ``InvalidEvidence`` naming it."""
    try:
        target, location, rest = text.split("@")
        instant, outcome = rest.split("#")
        if outcome not in ("up", "down"):
            raise ValueError(outcome)
        at = datetime.fromisoformat(instant)
        if not is_aware(at):
            raise ValueError(instant)
        return target, location, to_us(at), outcome == "up"
    except ValueError:
        raise InvalidEvidence(
            f"invalid probe id {text!r}: expected 'target@location@2026-04-01T00:00:30Z#up' "
            "(see Probe.probe_id)"
        ) from None


@dataclass
class Chunk:
    """The probes of one series from one recorded batch, sorted by instant."""

    recorded: int
    position: int
    ats: array[int]
    oks: bytes


@dataclass
class Series:
    chunks: list[Chunk] = field(default_factory=list)
    # (at, ok) -> recorded instant of the invalidation
    invalidated: dict[tuple[int, bool], int] = field(default_factory=dict)


class EvidenceIndex:
    """Every recorded probe, by (target, location), kept as compact columns."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}

    def add(
        self,
        target: str,
        location: str,
        recorded: int,
        position: int,
        ats: list[int],
        oks: list[bool],
    ) -> None:
        self.series.setdefault((target, location), Series()).chunks.append(
            Chunk(recorded, position, array("q", ats), bytes(oks))
        )

    def invalidate(self, target: str, location: str, at: int, ok: bool, recorded: int) -> None:
        self.series.setdefault((target, location), Series()).invalidated.setdefault(
            (at, ok), recorded
        )

    def contains(
        self, target: str, location: str, at: int, ok: bool, known_at: int = FOREVER
    ) -> bool:
        series = self.series.get((target, location))
        if series is None:
            return False
        for chunk in series.chunks:
            if chunk.recorded > known_at:
                continue
            index = bisect_left(chunk.ats, at)
            while index < len(chunk.ats) and chunk.ats[index] == at:
                if chunk.oks[index] == ok:
                    return True
                index += 1
        return False

    def first_down_recorded(
        self, target: str, location: str, lo: int, hi: int, known_at: int = FOREVER
    ) -> int | None:
        """The earliest recording time of a down probe in ``[lo, hi)``, if any."""
        series = self.series.get((target, location))
        best: int | None = None
        for chunk in series.chunks if series else ():
            if chunk.recorded > known_at or (best is not None and chunk.recorded >= best):
                continue
            start, stop = bisect_left(chunk.ats, lo), bisect_left(chunk.ats, hi)
            if 0 in chunk.oks[start:stop]:
                best = chunk.recorded
        return best

    def probes(
        self, target: str, location: str, lo: int, hi: int, known_at: int = FOREVER
    ) -> tuple[array[int], bytes]:
        """The valid probes in ``[lo, hi)`` known at ``known_at``, sorted by instant."""
        series = self.series.get((target, location))
        if series is None:
            return array("q"), b""
        parts = []
        for chunk in series.chunks:
            if chunk.recorded > known_at:
                continue
            start, stop = bisect_left(chunk.ats, lo), bisect_left(chunk.ats, hi)
            if start < stop:
                parts.append((chunk.ats[start:stop], chunk.oks[start:stop]))
        if not parts:
            return array("q"), b""
        parts.sort(key=lambda part: part[0][0])
        ats, oks = _concatenate(parts)
        invalid = {k for k, when in series.invalidated.items() if when <= known_at}
        if invalid:
            keep = [
                i
                for i, (at, ok) in enumerate(zip(ats, oks, strict=True))
                if (at, bool(ok)) not in invalid
            ]
            ats, oks = array("q", (ats[i] for i in keep)), bytes(oks[i] for i in keep)
        return ats, oks


def _concatenate(parts: list[tuple[array[int], bytes]]) -> tuple[array[int], bytes]:
    ordered = all(a[0][-1] <= b[0][0] for a, b in itertools.pairwise(parts))
    if ordered:
        ats = array("q")
        for part_ats, _ in parts:
            ats.extend(part_ats)
        return ats, b"".join(part_oks for _, part_oks in parts)
    # Late batches overlap earlier ones: merge, down before up at a shared instant.
    pairs = sorted(
        (at, ok) for part_ats, part_oks in parts for at, ok in zip(part_ats, part_oks, strict=True)
    )
    return array("q", (at for at, _ in pairs)), bytes(ok for _, ok in pairs)


def validate_probe(probe: object, index: int) -> None:
    """Raise ``InvalidEvidence`` for a value that is not a usable probe."""
    if not isinstance(probe, tuple) or len(probe) not in (4, 5):
        raise InvalidEvidence(
            f"probe #{index} is {probe!r}: expected a Probe(target, location, at, ok)"
        )


UUIDs = tuple[UUID, ...]
