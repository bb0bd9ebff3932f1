"""The workings of a statement, step by step: maintenance decisions (R8) and the
arithmetic from active time to credit (R9, R10), for ``explain``."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.citations import Catalogue
from sla_ledger.domain.explanation import (
    Arithmetic,
    MaintenanceExplained,
    MaintenanceStep,
    MaintenanceSummary,
    TierCheck,
)
from sla_ledger.domain.measure import MaintenanceDecision, exact_credit, truncated_percent
from sla_ledger.domain.money import round_half_up
from sla_ledger.domain.reckoning import Reckoning
from sla_ledger.domain.time import duration_us, format_instant, from_us, to_us


def maintenance_summary(k: Reckoning, catalogue: Catalogue, known_at: int) -> MaintenanceSummary:
    """Each announcement touching the active period, and the cap (R8)."""
    cap = duration_us(k.terms.maintenance_cap)
    used = iv.total(k.maintenance)
    return MaintenanceSummary(
        notice=k.terms.maintenance_notice,
        cap=k.terms.maintenance_cap,
        used=_td(used),
        left=_td(cap - used),
        windows=tuple(_window(k, d, catalogue, known_at) for d in k.decisions),
    )


def _window(
    k: Reckoning, d: MaintenanceDecision, catalogue: Catalogue, known_at: int
) -> MaintenanceExplained:
    a = d.announcement
    steps = [
        (kind, step)
        for kind, recorded, step in catalogue.maintenance.get(a.announcement_id, ())
        if recorded <= known_at
    ]
    cancelled = next((step for kind, step in steps if kind == "MaintenanceCancelled"), None)
    in_period = iv.total(iv.clip(k.active, a.start, a.end))
    qualifying = d.status == "qualifying"
    before_end = iv.clip(k.maintenance, k.start, a.end) if qualifying else []
    cap_left = duration_us(k.terms.maintenance_cap) - iv.total(before_end)
    over_cap = in_period - d.excluded if qualifying else 0
    history = [step for kind, step in steps if kind != "MaintenanceCancelled"]
    return MaintenanceExplained(
        announcement_id=a.announcement_id,
        status=d.status,
        why=_why(k, d, cancelled, over_cap, len(history) > 1),
        start=from_us(a.start),
        end=from_us(a.end),
        recorded_at=from_us(a.recorded_at),
        lead=_td(a.start - a.recorded_at),
        notice=k.terms.maintenance_notice,
        history=tuple(history),
        cancelled=cancelled,
        in_period=_td(in_period),
        excluded=_td(d.excluded),
        over_cap=_td(over_cap),
        cap_left=_td(cap_left) if qualifying else None,
    )


def _why(
    k: Reckoning,
    d: MaintenanceDecision,
    cancelled: MaintenanceStep | None,
    over_cap: int,
    rescheduled: bool,
) -> str:
    if d.status == "cancelled":
        when = f" at {format_instant(to_us(cancelled.event.recorded_at))}" if cancelled else ""
        return f"cancelled{when}: a cancelled window never qualifies"
    lead = d.announcement.start - d.announcement.recorded_at
    what = "its latest schedule was recorded" if rescheduled else "recorded"
    if d.status == "late":
        when = "after the window began" if lead < 0 else "less than the notice before the window"
        return f"{what} {when}"
    why = f"{what} at least the notice before the window"
    if over_cap:
        why += "; the cap was used up, so part of it counts as ordinary time"
    return why


def arithmetic(k: Reckoning) -> Arithmetic:
    """From month length to credit (R9, R10), with each intermediate value exact."""
    f, line = k.result, k.line
    credit_exact = exact_credit(f.base, f.credit_percent, line)
    tiers = sorted(line.credit_schedule, key=lambda t: t.below, reverse=True)
    return Arithmetic(
        month_length=_td(f.month_us),
        inactive=_td(f.month_us - f.active_us),
        active=_td(f.active_us),
        excluded=_td(f.excluded_us),
        eligible=_td(f.eligible_us),
        down=_td(f.down_us),
        unknown=_td(f.unknown_us),
        unknown_counts_as=k.terms.unknown_counts_as,
        unavailable=_td(f.unavailable_us),
        availability=f.availability,
        availability_percent=truncated_percent(f.availability),
        target=line.target,
        met=f.met,
        tiers=tuple(
            TierCheck(
                below=t.below, credit=t.credit, applies=f.availability * 100 < Fraction(t.below)
            )
            for t in tiers
        ),
        credit_percent=f.credit_percent,
        monthly_fee=line.monthly_fee,
        proration=Fraction(f.active_us, f.month_us),
        base_exact=f.base,
        base=round_half_up(f.base, line.currency),
        max_credit=line.max_credit,
        credit_exact=credit_exact,
        credit_rounded=round_half_up(credit_exact, line.currency),
        minimum_credit=line.minimum_credit,
        credit=f.credit,
        currency=line.currency,
    )


def _td(us: int) -> timedelta:
    return timedelta(microseconds=us)
