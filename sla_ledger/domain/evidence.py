"""Probe evidence in compact columns, as known at any instant (SPEC R3, R6, R14)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import datetime
from operator import sub
from typing import NamedTuple

from sla_ledger.domain.time import format_instant, is_aware, to_us
from sla_ledger.domain.timeline import Changes, location_view, view_of, view_span
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


class Series:
    """One (target, location): every recorded probe in three parallel columns, kept
    sorted by (instant, outcome), about 17 bytes a probe, with the places where
    consecutive probes repeat an instant or lie more than ``staleness`` apart."""

    __slots__ = (
        "ats",
        "breaks",
        "invalidated",
        "last_at",
        "last_recorded",
        "oks",
        "pending",
        "recs",
        "size",
        "sorted",
        "staleness",
    )

    def __init__(self, staleness: int) -> None:
        self.staleness = staleness
        self.ats: array[int] = array("q")
        self.oks = bytearray()
        self.recs: array[int] = array("q")  # recording instant of each probe (R14)
        self.pending: list[tuple[array[int], bytes, int]] = []
        self.breaks: list[int] = []  # m: probe m + 1 repeats probe m's instant or lapses
        self.size = 0
        self.last_at: int | None = None
        self.last_recorded = 0
        self.sorted = True
        # (at, ok) -> recording instant of its invalidation (R6)
        self.invalidated: dict[tuple[int, bool], int] = {}

    def add(self, recorded: int, ats: Sequence[int], oks: Sequence[int]) -> None:
        if not ats:
            return
        ats = ats if isinstance(ats, array) else array("q", ats)
        if self.last_at is not None and ats[0] < self.last_at:
            self.sorted = False  # a late batch: re-sorted once, when next read
        self.pending.append((ats, oks if isinstance(oks, bytes) else bytes(oks), recorded))
        self.size += len(ats)
        if self.last_at is None or ats[-1] > self.last_at:
            self.last_at = ats[-1]
        if recorded > self.last_recorded:
            self.last_recorded = recorded

    def _note_breaks(self, ats: array[int], base: int) -> None:
        """Record the breaks among ``ats``, placed from index ``base``, and before them."""
        staleness = self.staleness
        if base:
            step = ats[0] - self.ats[base - 1]
            if step == 0 or step > staleness:
                self.breaks.append(base - 1)
        if len(ats) > 1:
            steps = list(map(sub, ats[1:], ats[:-1]))
            if min(steps) == 0 or max(steps) > staleness:
                self.breaks.extend(
                    base + m for m, step in enumerate(steps) if step == 0 or step > staleness
                )

    def columns(self) -> tuple[array[int], bytearray, array[int]]:
        """The columns, sorted, with every added batch in them."""
        if self.pending:
            # Joined as bytes, so that each column is copied once, in C.
            pending, self.pending = self.pending, []
            new = array("q")
            new.frombytes(b"".join(p[0].tobytes() for p in pending))
            base = len(self.ats)
            self.ats.extend(new)
            if self.sorted:
                self._note_breaks(new, base)
            self.oks += b"".join(p[1] for p in pending)
            self.recs.frombytes(b"".join(array("q", [p[2]]).tobytes() * len(p[0]) for p in pending))
        if not self.sorted:
            rows = sorted(zip(self.ats, self.oks, self.recs, strict=True))
            self.ats = array("q", (row[0] for row in rows))
            self.oks = bytearray(row[1] for row in rows)
            self.recs = array("q", (row[2] for row in rows))
            self.breaks = []
            self._note_breaks(self.ats, 0)
            self.sorted = True
        return self.ats, self.oks, self.recs

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """Indices of the probes with instants in ``[lo, hi)``."""
        ats = self.columns()[0]
        return bisect_left(ats, lo), bisect_left(ats, hi)

    def valid(self, index: int, known_at: int) -> bool:
        if self.recs[index] > known_at:
            return False
        when = self.invalidated.get((self.ats[index], bool(self.oks[index])))
        return when is None or when > known_at

    def view(self, lo: int, hi: int, known_at: int) -> Changes:
        """This location's view over ``[lo, hi)`` (R3) from the probes known at ``known_at``."""
        ats, oks, _ = self.columns()
        if known_at < self.last_recorded or any(w <= known_at for w in self.invalidated.values()):
            start, stop = bisect_left(ats, lo - self.staleness), bisect_left(ats, hi)
            keep = [i for i in range(start, stop) if self.valid(i, known_at)]
            kept = array("q", (ats[i] for i in keep))
            return location_view(kept, bytes(oks[i] for i in keep), self.staleness, lo, hi)
        start, stop = view_span(ats, lo, hi)
        breaks = self.breaks[bisect_left(self.breaks, start) : bisect_left(self.breaks, stop - 1)]
        if any(ats[m + 1] == ats[m] for m in breaks):
            return location_view(ats[start:stop], bytes(oks[start:stop]), self.staleness, lo, hi)
        lapses = [m - start for m in breaks]
        return view_of(ats[start:stop], bytes(oks[start:stop]), self.staleness, lo, hi, lapses)


class EvidenceIndex:
    """Every recorded probe, by (target, location), kept as compact columns."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}

    def add(
        self,
        target: str,
        location: str,
        staleness: int,
        recorded: int,
        ats: Sequence[int],
        oks: Sequence[int],
    ) -> None:
        series = self.series.get((target, location))
        if series is None:
            series = self.series[(target, location)] = Series(staleness)
        series.add(recorded, ats, oks)

    def invalidate(
        self, target: str, location: str, staleness: int, at: int, ok: bool, recorded: int
    ) -> None:
        series = self.series.get((target, location))
        if series is None:
            series = self.series[(target, location)] = Series(staleness)
        series.invalidated.setdefault((at, ok), recorded)

    def settle(self) -> None:
        """Bring every series's added batches into its columns, ready to read."""
        for series in self.series.values():
            if series.pending or not series.sorted:
                series.columns()

    def last_instant(self, target: str, location: str) -> int | None:
        """The latest probe instant recorded for a series, if any."""
        series = self.series.get((target, location))
        return None if series is None else series.last_at

    def contains(
        self, target: str, location: str, at: int, ok: bool, known_at: int = FOREVER
    ) -> bool:
        series = self.series.get((target, location))
        if series is None:
            return False
        start, stop = series.span(at, at + 1)
        return any(series.oks[i] == ok and series.recs[i] <= known_at for i in range(start, stop))

    def first_down_recorded(
        self, target: str, location: str, lo: int, hi: int, known_at: int = FOREVER
    ) -> int | None:
        """The earliest recording time of a valid down probe in ``[lo, hi)``, if any."""
        series = self.series.get((target, location))
        if series is None:
            return None
        start, stop = series.span(lo, hi)
        best: int | None = None
        index = series.oks.find(0, start, stop)
        while index >= 0:
            if series.valid(index, known_at) and (best is None or series.recs[index] < best):
                best = series.recs[index]
            index = series.oks.find(0, index + 1, stop)
        return best

    def deciding_probe(
        self, target: str, location: str, instant: int, known_at: int = FOREVER
    ) -> tuple[int, bool] | None:
        """``(at, ok)`` of the probe a location's view at ``instant`` rests on (R3): the
        latest valid one at or before it; of several at that instant, down if any is."""
        series = self.series.get((target, location))
        if series is None:
            return None
        ats, oks, _ = series.columns()
        index = bisect_right(ats, instant) - 1
        while index >= 0 and not series.valid(index, known_at):
            index -= 1
        if index < 0:
            return None
        at, first = ats[index], bisect_left(ats, ats[index])
        down = any(not oks[i] and series.valid(i, known_at) for i in range(first, index + 1))
        return at, not down

    def invalidated(
        self, target: str, location: str, lo: int, hi: int, known_at: int = FOREVER
    ) -> list[tuple[int, bool]]:
        """``(at, ok)`` of the probes in ``[lo, hi)`` invalidated by ``known_at`` (R6)."""
        series = self.series.get((target, location))
        if series is None:
            return []
        return sorted(
            key
            for key, recorded in series.invalidated.items()
            if lo <= key[0] < hi and recorded <= known_at
        )

    def view(
        self, target: str, location: str, lo: int, hi: int, known_at: int = FOREVER
    ) -> Changes | None:
        """A location's view of a target over ``[lo, hi)``, None if it never probed it."""
        series = self.series.get((target, location))
        if series is None or not series.size:
            return None
        return series.view(lo, hi, known_at)
