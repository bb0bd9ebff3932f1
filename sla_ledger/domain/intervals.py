"""Half-open intervals ``[start, end)`` of integer microseconds.

An interval set is a sorted list of disjoint, non-touching intervals.
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k, cursor = j, start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(a: list[Interval], start: int, end: int) -> list[Interval]:
    return intersect(a, [(start, end)]) if start < end else []


def total(a: Iterable[Interval]) -> int:
    return sum(end - start for start, end in a)


def take_first(a: list[Interval], budget: int) -> list[Interval]:
    """The earliest ``budget`` microseconds of an interval set, in time order."""
    out: list[Interval] = []
    for start, end in a:
        if budget <= 0:
            break
        stop = min(end, start + budget)
        out.append((start, stop))
        budget -= stop - start
    return out
