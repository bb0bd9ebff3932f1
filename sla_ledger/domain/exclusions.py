"""Exclusions besides maintenance: explicit, reasoned, recorded decisions (docs/rules.md).

An exclusion names a category (e.g. ``customer-caused``), services, a window
``[start, end)``, a reason, who decided it and optionally the one contract it
is for. It applies to a contract line only if the contract allows its
category; either way every statement whose active period it touches lists
it. Applied, it is excluded from eligible time like maintenance (R9), after
the blip filter (R7), and outside maintenance's cap (R8): time that qualifying
maintenance already excludes is excluded once, as maintenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.statement import ExclusionNote, ExclusionStatus
from sla_ledger.domain.support_state import Exclusion
from sla_ledger.domain.terms import Contract


def apply_exclusions(
    exclusions: Iterable[Exclusion],
    contract_id: str,
    terms: Contract,
    service: str,
    active: list[iv.Interval],
    maintenance: list[iv.Interval],
    known_at: int,
) -> tuple[list[iv.Interval], tuple[ExclusionNote, ...]]:
    """The time excluded from a line's month (maintenance's, and the applied exclusions'),
    and a note for every exclusion known at ``known_at`` touching its active period.

    Args:
        maintenance: the time R8 excludes, within ``active``.
    """
    touching = sorted(
        (
            x
            for x in exclusions
            if x.recorded_at <= known_at
            and service in x.event.services
            and x.event.contract_id in (None, contract_id)
            and iv.clip(active, x.start, x.end)
        ),
        key=lambda x: (x.start, x.end, x.recorded_at),
    )
    excluded, notes = maintenance, []
    for x in touching:
        status: ExclusionStatus = "applied"
        added: list[iv.Interval] = []
        if x.withdrawn is not None and x.withdrawn <= known_at:
            status = "withdrawn"
        elif x.event.category not in terms.exclusion_categories:
            status = "not allowed"
        else:
            added = iv.subtract(iv.clip(active, x.start, x.end), excluded)
            excluded = iv.union([*excluded, *added])
        notes.append(_note(x, status, iv.total(added)))
    return excluded, tuple(notes)


def _note(x: Exclusion, status: ExclusionStatus, excluded_us: int) -> ExclusionNote:
    e = x.event
    return ExclusionNote(
        exclusion_id=e.originator_id,
        category=e.category,
        start=e.start,
        end=e.end,
        reason=e.reason,
        decided_by=e.decided_by,
        recorded_at=e.recorded_at,
        contract_id=e.contract_id,
        status=status,
        excluded=timedelta(microseconds=excluded_us),
    )
