"""Geometry of a report's pictures: where each stretch of the month is drawn.

Positions are in the units of an SVG ``viewBox`` ``WIDTH`` wide, computed exactly
and written with two decimals; they place shapes and never feed a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sla_ledger.domain.time import to_us
from sla_ledger.reports.model import LineReport

WIDTH = 1000
MIN_WIDTH = Fraction(4)
"""Short stretches (a minute is 0.02 units of a month) are drawn this wide, to be seen."""
DAY_GAP = Fraction(3)
_ON_TOP = {"inactive": 0, "up": 0, "excluded": 1, "unknown": 2, "down": 3}


@dataclass(frozen=True)
class Rect:
    x: str
    width: str
    kind: str
    label: str


@dataclass(frozen=True)
class Tick:
    x: str
    percent: str
    label: str


@dataclass(frozen=True)
class Picture:
    """The shapes of one line's pictures: timeline lanes, day ticks and day bars."""

    states: list[Rect]
    maintenance: list[Rect]
    absorbed: list[Rect]
    ticks: list[Tick]
    days: list[Rect]


class _Scale:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.length = to_us(start), to_us(end) - to_us(start)

    def x(self, instant: datetime) -> Fraction:
        return Fraction((to_us(instant) - self.start) * WIDTH, self.length)

    def rect(self, start: datetime, end: datetime, kind: str, label: str) -> Rect:
        x, width = self.x(start), self.x(end) - self.x(start)
        if width < MIN_WIDTH:
            x, width = max(Fraction(0), min(x, WIDTH - MIN_WIDTH)), MIN_WIDTH
        return Rect(_units(x), _units(width), kind, label)


def picture(
    line: LineReport, label: Callable[[datetime, datetime], str], names: Mapping[str, str]
) -> Picture:
    """The shapes of ``line``'s pictures; ``label(start, end)`` names a stretch for people,
    ``names`` the states."""
    s = line.statement
    scale = _Scale(s.period_start, s.period_end)
    states = sorted(line.timeline, key=lambda span: _ON_TOP[span.state])
    per_day = Fraction(WIDTH, len(line.days))
    return Picture(
        states=[
            scale.rect(x.start, x.end, x.state, f"{names[x.state]}: {label(x.start, x.end)}")
            for x in states
        ],
        maintenance=[
            scale.rect(x.start, x.end, x.part, f"maintenance {x.part}: {label(x.start, x.end)}")
            for x in line.maintenance
        ],
        absorbed=[
            scale.rect(
                a.start, a.end, "absorbed", f"{a.target} ({a.zone}): {label(a.start, a.end)}"
            )
            for a in s.absorbed_failures
        ],
        ticks=[_tick(scale.x(day.start), int(day.date[-2:])) for day in line.days],
        days=[
            Rect(
                _units(i * per_day + DAY_GAP / 2),
                _units(per_day - DAY_GAP),
                day.level,
                f"{day.date}: {day.availability_percent} %",
            )
            for i, day in enumerate(line.days)
        ],
    )


def _tick(x: Fraction, day: int) -> Tick:
    # Weekly labels fit a phone's width; every day still gets its line.
    return Tick(_units(x), _units(x * 100 / WIDTH), str(day) if day % 7 == 1 else "")


def _units(value: Fraction) -> str:
    """``value`` with two decimals, cut (not rounded): positions need no more."""
    return str(Decimal(value.numerator * 100 // value.denominator).scaleb(-2))
