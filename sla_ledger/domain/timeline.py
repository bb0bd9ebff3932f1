"""A service's state over time from probes, topology and incidents (SPEC R3-R5, R7).

A timeline is a list of changes ``(instant, state)`` over a window
``[lo, hi)``: the first change is at ``lo``, instants strictly increase and
consecutive states differ. States change only at probe instants, staleness
expiries, incident bounds and window bounds.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from operator import sub

from sla_ledger.domain.intervals import Interval

UP, DOWN, UNKNOWN = 0, 1, 2
Changes = list[tuple[int, int]]


class _Builder:
    """Collects changes inside ``[lo, hi)``, folding everything before ``lo`` into it."""

    __slots__ = ("changes", "hi", "lo")

    def __init__(self, lo: int, hi: int, initial: int = UNKNOWN) -> None:
        self.lo, self.hi = lo, hi
        self.changes: Changes = [(lo, initial)]

    def set(self, instant: int, state: int) -> None:
        if instant >= self.hi:
            return
        changes = self.changes
        instant = max(instant, self.lo)
        if changes[-1][0] == instant:
            changes.pop()
            if changes and changes[-1][1] == state:
                return
        elif changes[-1][1] == state:
            return
        changes.append((instant, state))


def location_view(ats: Sequence[int], oks: bytes, staleness: int, lo: int, hi: int) -> Changes:
    """One location's view of a target (R3).

    Args:
        ats: probe instants, ascending (repeats allowed); oks: 1 up, 0 down per probe.
    """
    start, stop = view_span(ats, lo, hi)
    ats, oks = ats[start:stop], oks[start:stop]
    # One pass in C over the steps between probes finds repeats and gaps.
    steps = list(map(sub, ats[1:], ats[:-1]))
    if steps and min(steps) == 0:
        ats, oks = _merge_same_instant(ats, oks)
        steps = list(map(sub, ats[1:], ats[:-1]))
    lapses = []
    if steps and max(steps) > staleness:
        lapses = [m for m, step in enumerate(steps) if step > staleness]
    return view_of(ats, oks, staleness, lo, hi, lapses)


def view_span(ats: Sequence[int], lo: int, hi: int) -> tuple[int, int]:
    """Indices of the probes that decide a view over ``[lo, hi)``: those in it, and the
    latest at or before ``lo`` with any others at that same instant."""
    start = bisect_right(ats, lo) - 1
    start = bisect_left(ats, ats[start]) if start >= 0 else 0
    return start, bisect_left(ats, hi)


def view_of(
    ats: Sequence[int], oks: bytes, staleness: int, lo: int, hi: int, lapses: list[int]
) -> Changes:
    """The view from probes at distinct instants, given the indices ``m`` where the
    step to probe ``m + 1`` exceeds ``staleness`` (the view lapses there)."""
    view = _Builder(lo, hi)
    n, i, lapse = len(ats), 0, 0
    lapses = [*lapses, n - 1, n]  # the last probe lapses too; n is a sentinel
    while i < n:  # runs of probes that agree
        outcome = oks[i]
        state = UP if outcome else DOWN
        k = oks.find(b"\x00" if outcome else b"\x01", i)
        k = n if k < 0 else k
        view.set(ats[i], state)
        while lapses[lapse] < k:
            m = lapses[lapse]
            view.set(ats[m] + staleness, UNKNOWN)
            if m + 1 < k:
                view.set(ats[m + 1], state)
            lapse += 1
        i = k
    return view.changes


def _merge_same_instant(ats: Sequence[int], oks: bytes) -> tuple[list[int], bytes]:
    """Probes of one instant become one; any disagreement counts as down (R3)."""
    merged_at: list[int] = []
    merged_ok = bytearray()
    for at, ok in zip(ats, oks, strict=True):
        if merged_at and merged_at[-1] == at:
            merged_ok[-1] &= ok
        else:
            merged_at.append(at)
            merged_ok.append(ok)
    return merged_at, bytes(merged_ok)


def combine(
    timelines: list[Changes], rule: Callable[[list[int]], int], lo: int, hi: int
) -> Changes:
    """A timeline whose state at each instant is ``rule`` of the given timelines' states."""
    states = [timeline[0][1] for timeline in timelines]
    out = _Builder(lo, hi, rule(states))
    merged = heapq.merge(
        *([(t, index, s) for t, s in timeline[1:]] for index, timeline in enumerate(timelines))
    )
    pending: int | None = None
    for instant, index, state in merged:
        if pending is not None and instant != pending:
            out.set(pending, rule(states))
        states[index] = state
        pending = instant
    if pending is not None:
        out.set(pending, rule(states))
    return out.changes


def quorum_rule(quorum: int) -> Callable[[list[int]], int]:
    """A target from its locations' views (R3): down wins when both reach quorum."""

    def rule(views: list[int]) -> int:
        if views.count(DOWN) >= quorum:
            return DOWN
        return UP if views.count(UP) >= quorum else UNKNOWN

    return rule


def component_rule(min_healthy: int) -> Callable[[list[int]], int]:
    """A component from its instances (R4)."""

    def rule(instances: list[int]) -> int:
        if instances.count(UP) >= min_healthy:
            return UP
        return DOWN if len(instances) - instances.count(DOWN) < min_healthy else UNKNOWN

    return rule


def worst(states: list[int]) -> int:
    """Down if any part is down, else unknown if any is unknown, else up (R4, R5)."""
    if DOWN in states:
        return DOWN
    return UNKNOWN if UNKNOWN in states else UP


def constant(state: int, lo: int) -> Changes:
    return [(lo, state)]


def from_intervals(intervals: list[Interval], state: int, other: int, lo: int, hi: int) -> Changes:
    """``state`` over the intervals, ``other`` elsewhere."""
    out = _Builder(lo, hi, other)
    for start, end in intervals:
        if end > lo:
            out.set(start, state)
            out.set(end, other)
    return out.changes


def intervals_of(changes: Changes, state: int, hi: int) -> list[Interval]:
    """The interval set where a timeline is in ``state``."""
    ends = [t for t, _ in changes[1:]] + [hi]
    return [(t, end) for (t, s), end in zip(changes, ends, strict=True) if s == state and end > t]


def filter_blips(changes: Changes, min_downtime: int, hi: int) -> Changes:
    """Down periods shorter than ``min_downtime`` count as up (R7)."""
    if min_downtime <= 0:
        return changes
    out = _Builder(changes[0][0], hi, UP)
    ends = [t for t, _ in changes[1:]] + [hi]
    for (start, state), end in zip(changes, ends, strict=True):
        if state == DOWN and end - start < min_downtime:
            state = UP
        out.set(start, state)
    return out.changes
