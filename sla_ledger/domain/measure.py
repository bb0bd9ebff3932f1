"""From a service's timeline to a contract line's month: R7-R10 as pure functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.money import round_half_up
from sla_ledger.domain.statement import Cause, MaintenanceStatus
from sla_ledger.domain.terms import ContractLine, Service, instance_target
from sla_ledger.domain.timeline import (
    DOWN,
    UNKNOWN,
    UP,
    Changes,
    combine,
    component_rule,
    constant,
    from_intervals,
    intervals_of,
    quorum_rule,
    worst,
)

ViewLookup = Callable[[str, str, int, int], Changes | None]
"""``(target, location, lo, hi) -> `` a location's view of a target over [lo, hi) (R3),
or None when that location never probed it."""


@dataclass(frozen=True)
class Absorbed:
    target: str
    zone: str
    interval: iv.Interval


@dataclass(frozen=True)
class ServiceTimeline:
    """A service over ``[lo, hi)`` before the blip filter (R3-R5)."""

    lo: int
    hi: int
    changes: Changes
    incident_down: list[iv.Interval]
    absorbed: list[Absorbed]


def target_timeline(service: Service, target: str, views: ViewLookup, lo: int, hi: int) -> Changes:
    seen = [views(target, location, lo, hi) for location in service.locations]
    unknown = constant(UNKNOWN, lo)
    return combine(
        [view or unknown for view in seen], quorum_rule(service.effective_quorum), lo, hi
    )


def service_timeline(
    service: Service, views: ViewLookup, incidents: list[iv.Interval], lo: int, hi: int
) -> ServiceTimeline:
    parts: list[Changes] = []
    if service.endpoint:
        parts.append(target_timeline(service, service.service_id, views, lo, hi))
    absorbed: list[Absorbed] = []
    for component in service.components:
        instances = [
            target_timeline(
                service, instance_target(service.service_id, component.name, i.name), views, lo, hi
            )
            for i in component.instances
        ]
        state = combine(instances, component_rule(component.min_healthy), lo, hi)
        if component.critical:
            parts.append(state)
        component_down = intervals_of(state, DOWN, hi)
        for instance, timeline in zip(component.instances, instances, strict=True):
            target = instance_target(service.service_id, component.name, instance.name)
            for interval in iv.subtract(intervals_of(timeline, DOWN, hi), component_down):
                absorbed.append(Absorbed(target, instance.zone, interval))
    incident_down = iv.clip(iv.union(incidents), lo, hi)
    parts.append(from_intervals(incident_down, DOWN, UP, lo, hi))
    return ServiceTimeline(lo, hi, combine(parts, worst, lo, hi), incident_down, absorbed)


@dataclass(frozen=True)
class Announcement:
    """A maintenance announcement as known at some instant (R8)."""

    announcement_id: UUID
    services: tuple[str, ...]
    start: int
    end: int
    recorded_at: int
    cancelled: bool


@dataclass(frozen=True)
class MaintenanceDecision:
    announcement: Announcement
    status: MaintenanceStatus
    excluded: int


def exclude_maintenance(
    announcements: list[Announcement], notice_us: int, cap_us: int, span: list[iv.Interval]
) -> tuple[list[iv.Interval], list[MaintenanceDecision]]:
    """The excluded time within ``span`` and each announcement's fate (R8)."""
    touching = [a for a in announcements if iv.clip(span, a.start, a.end)]
    touching.sort(key=lambda a: (a.start, a.end))
    qualifying = [a for a in touching if _status(a, notice_us) == "qualifying"]
    windows = iv.intersect(iv.union((a.start, a.end) for a in qualifying), span)
    excluded = iv.take_first(windows, cap_us)
    decisions = [
        MaintenanceDecision(a, _status(a, notice_us), iv.total(iv.clip(excluded, a.start, a.end)))
        for a in touching
    ]
    return excluded, decisions


def _status(announcement: Announcement, notice_us: int) -> MaintenanceStatus:
    if announcement.cancelled:
        return "cancelled"
    return "qualifying" if announcement.recorded_at <= announcement.start - notice_us else "late"


@dataclass(frozen=True)
class Figures:
    """The arithmetic of R9 and R10 for one line and month."""

    month_us: int
    active_us: int
    excluded_us: int
    eligible_us: int
    down_us: int
    unknown_us: int
    unavailable_us: int
    availability: Fraction
    met: bool
    credit_percent: Decimal
    base: Fraction
    credit: Decimal


def figures(
    line: ContractLine,
    month: iv.Interval,
    active: list[iv.Interval],
    excluded: list[iv.Interval],
    down: list[iv.Interval],
    unknown: list[iv.Interval],
    unknown_counts_as: str,
) -> Figures:
    eligible = iv.subtract(active, excluded)
    down_us = iv.total(iv.intersect(down, eligible))
    unknown_us = iv.total(iv.intersect(unknown, eligible))
    unavailable_us = down_us + (unknown_us if unknown_counts_as == "unavailable" else 0)
    eligible_us = iv.total(eligible)
    availability = (
        Fraction(eligible_us - unavailable_us, eligible_us) if eligible_us else Fraction(1)
    )
    month_us = month[1] - month[0]
    active_us = iv.total(active)
    percent = credit_percent(availability, line)
    base = Fraction(line.monthly_fee) * Fraction(active_us, month_us)
    return Figures(
        month_us=month_us,
        active_us=active_us,
        excluded_us=iv.total(excluded),
        eligible_us=eligible_us,
        down_us=down_us,
        unknown_us=unknown_us,
        unavailable_us=unavailable_us,
        availability=availability,
        met=availability * 100 >= Fraction(line.target),
        credit_percent=percent,
        base=base,
        credit=credit_amount(base, percent, line),
    )


def credit_percent(availability: Fraction, line: ContractLine) -> Decimal:
    """The tier with the lowest ``below`` that availability is strictly under (R10)."""
    applicable = [t for t in line.credit_schedule if availability * 100 < Fraction(t.below)]
    return min(applicable, key=lambda t: t.below).credit if applicable else Decimal(0)


def credit_amount(base: Fraction, percent: Decimal, line: ContractLine) -> Decimal:
    """Base x percent, capped at max_credit, rounded once half-up; nothing below the minimum."""
    amount = round_half_up(exact_credit(base, percent, line), line.currency)
    if amount > 0 and amount >= line.minimum_credit:
        return amount
    return round_half_up(Fraction(0), line.currency)


def exact_credit(base: Fraction, percent: Decimal, line: ContractLine) -> Fraction:
    """Base x percent capped at max_credit, before rounding (R10)."""
    return base * min(Fraction(percent), Fraction(line.max_credit)) / 100


def truncated_percent(availability: Fraction, places: int = 4) -> str:
    """A percentage truncated, never rounded up: 959/960 -> '99.8958'."""
    scaled = availability * 100 * 10**places
    units = scaled.numerator // scaled.denominator
    return str(Decimal(units).scaleb(-places).quantize(Decimal(1).scaleb(-places)))


def outage_cause(outage: iv.Interval, incident_down: list[iv.Interval]) -> Cause:
    """Whether probes, a declared incident (R5), or both put the service down."""
    by_incident = iv.total(iv.clip(incident_down, *outage))
    if by_incident == outage[1] - outage[0]:
        return "incident"
    return "probes and incident" if by_incident else "probes"
