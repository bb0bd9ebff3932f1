"""A line's month as the intervals of each state, and its figures day by day (R2, R9).

A statement gives a month's totals; a report also draws when each state held
and how each local day of the contract's time zone fared. Both come from the
steps ``Reckoner.statement`` takes (the service timeline, the blip filter,
maintenance, ``measure.figures``), so the days add up to the month exactly.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Literal

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.measure import Figures, MaintenanceDecision, figures
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.terms import ContractLine
from sla_ledger.domain.time import day_start_us, month_bounds, parse_month

SpanState = Literal["up", "down", "unknown", "excluded", "inactive"]
"""What a stretch of the month counted as: ``excluded`` is qualifying maintenance
taken out of measurement (R8) or an applied exclusion, ``inactive`` time outside the
contract."""

WindowPart = Literal["excluded", "late", "cancelled", "beyond cap"]
"""What became of a part of an announced maintenance window inside the active period."""


@dataclass(frozen=True)
class MonthStates:
    """A contract line's month as interval sets, in microseconds (R2-R9)."""

    month: str
    time_zone: str
    line: ContractLine
    unknown_counts_as: str
    start: int
    end: int
    active: list[iv.Interval]
    excluded: list[iv.Interval]
    down: list[iv.Interval]
    """Down after the blip filter (R7), within the month."""
    unknown: list[iv.Interval]
    decisions: list[MaintenanceDecision]
    maintenance: list[iv.Interval] | None = None
    """The part of ``excluded`` maintenance excluded (R8); None: all of it."""

    @property
    def eligible(self) -> list[iv.Interval]:
        return iv.subtract(self.active, self.excluded)

    def figures(self, lo: int | None = None, hi: int | None = None) -> Figures:
        """R9 and R10 over ``[lo, hi)`` (default the month), by ``measure.figures``."""
        lo = self.start if lo is None else lo
        hi = self.end if hi is None else hi
        return figures(
            self.line,
            (lo, hi),
            iv.clip(self.active, lo, hi),
            iv.clip(self.excluded, lo, hi),
            self.down,
            self.unknown,
            self.unknown_counts_as,
        )


def month_states(reckoner: Reckoner, contract_id: str, line_id: str, month: str) -> MonthStates:
    """The intervals behind ``reckoner.statement(contract_id, line_id, month)``."""
    r = reckoner.reckon(contract_id, line_id, month)
    return MonthStates(
        month=month,
        time_zone=r.terms.time_zone,
        line=r.line,
        unknown_counts_as=r.terms.unknown_counts_as,
        start=r.start,
        end=r.end,
        active=r.active,
        excluded=r.excluded,
        down=r.down,
        unknown=r.unknown,
        decisions=r.decisions,
        maintenance=r.maintenance,
    )


def spans(m: MonthStates) -> list[tuple[int, int, SpanState]]:
    """The month cut into stretches of one state each, in time order, covering it whole."""
    eligible = m.eligible
    down = iv.intersect(m.down, eligible)
    unknown = iv.intersect(m.unknown, eligible)
    parts: list[tuple[int, int, SpanState]] = [
        *((a, b, "inactive") for a, b in iv.subtract([(m.start, m.end)], m.active)),
        *((a, b, "excluded") for a, b in m.excluded),
        *((a, b, "down") for a, b in down),
        *((a, b, "unknown") for a, b in unknown),
        *((a, b, "up") for a, b in iv.subtract(eligible, iv.union([*down, *unknown]))),
    ]
    return sorted(parts)


def window_parts(m: MonthStates) -> list[tuple[int, int, WindowPart, MaintenanceDecision]]:
    """Each announced window within the active period: the part excluded, and the rest
    with the reason it counted as ordinary time (R8)."""
    parts: list[tuple[int, int, WindowPart, MaintenanceDecision]] = []
    excluded = m.excluded if m.maintenance is None else m.maintenance
    for decision in m.decisions:
        a = decision.announcement
        window = iv.intersect([(a.start, a.end)], m.active)
        rest: WindowPart = "beyond cap" if decision.status == "qualifying" else decision.status
        parts += [(x, y, "excluded", decision) for x, y in iv.intersect(window, excluded)]
        parts += [(x, y, rest, decision) for x, y in iv.subtract(window, excluded)]
    return sorted(parts, key=lambda p: (p[0], p[1]))


@dataclass(frozen=True)
class Day:
    """One local day of a month; a month's days tile it."""

    date: str
    start: int
    end: int
    figures: Figures


def local_days(month: str, zone: str) -> list[tuple[str, int, int]]:
    """``(YYYY-MM-DD, start, end)`` of each local day of a month in ``zone`` (R2's rule
    for midnights that DST skips or repeats)."""
    year, number = parse_month(month)
    days = calendar.monthrange(year, number)[1]
    starts = [day_start_us(year, number, day, zone) for day in range(1, days + 1)]
    ends = [*starts[1:], month_bounds(month, zone)[1]]
    return [
        (f"{year:04d}-{number:02d}-{day:02d}", lo, hi)
        for day, lo, hi in zip(range(1, days + 1), starts, ends, strict=True)
    ]


def daily(m: MonthStates) -> list[Day]:
    """The figures of each local day of the month; their times add up to the month's."""
    return [
        Day(date, lo, hi, m.figures(lo, hi)) for date, lo, hi in local_days(m.month, m.time_zone)
    ]
