"""The difference between two views of a statement, e.g. as known at two instants (R14)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from sla_ledger.domain.statement import (
    AbsorbedFailure,
    EventRef,
    MaintenanceWindow,
    Outage,
    Statement,
)

FIGURES = (
    "contract_id",
    "line_id",
    "service",
    "customer",
    "month",
    "time_zone",
    "period_start",
    "period_end",
    "month_length",
    "active",
    "excluded",
    "eligible",
    "down",
    "unknown",
    "unavailable",
    "unknown_counts_as",
    "availability",
    "availability_percent",
    "target",
    "met",
    "credit_percent",
    "base",
    "credit",
    "currency",
)
"""The fields of a statement a diff compares one by one, in the statement's order."""

LISTS = ("outages", "absorbed_failures", "maintenance", "corrections")
"""The fields a diff compares as lists: what was added, what was removed."""

ABOUT = ("version", "changed_by", "log_position", "log_digest", "known_at")
"""What each view is (which version, made from which events): not compared as figures."""

_T = TypeVar("_T")


class StatementDiff(BaseModel):
    """What changed from ``before`` to ``after``.

    A changed item of a list (an outage whose end moved, a window whose status
    changed) is shown as the old one removed and the new one added.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    before: Statement
    after: Statement
    figures: tuple[str, ...]
    """Names of the ``FIGURES`` that differ, in the statement's order."""
    outages_added: tuple[Outage, ...] = ()
    outages_removed: tuple[Outage, ...] = ()
    absorbed_added: tuple[AbsorbedFailure, ...] = ()
    absorbed_removed: tuple[AbsorbedFailure, ...] = ()
    maintenance_added: tuple[MaintenanceWindow, ...] = ()
    maintenance_removed: tuple[MaintenanceWindow, ...] = ()
    corrections_added: tuple[EventRef, ...] = ()
    corrections_removed: tuple[EventRef, ...] = ()
    evidence: tuple[EventRef, ...] = ()
    """Events recorded between the two views that bear on the statement, when known."""

    @property
    def version_changed(self) -> bool:
        return self.before.version != self.after.version

    @property
    def changed(self) -> bool:
        """Whether any figure, list or the version differs."""
        lists = (
            self.outages_added,
            self.outages_removed,
            self.absorbed_added,
            self.absorbed_removed,
            self.maintenance_added,
            self.maintenance_removed,
            self.corrections_added,
            self.corrections_removed,
        )
        return bool(self.figures) or self.version_changed or any(lists)


def compare(
    before: Statement, after: Statement, evidence: Sequence[EventRef] = ()
) -> StatementDiff:
    """The difference from ``before`` to ``after``; ``evidence`` is carried along as given."""
    return StatementDiff(
        before=before,
        after=after,
        figures=tuple(name for name in FIGURES if getattr(before, name) != getattr(after, name)),
        outages_added=_new(before.outages, after.outages),
        outages_removed=_new(after.outages, before.outages),
        absorbed_added=_new(before.absorbed_failures, after.absorbed_failures),
        absorbed_removed=_new(after.absorbed_failures, before.absorbed_failures),
        maintenance_added=_new(before.maintenance, after.maintenance),
        maintenance_removed=_new(after.maintenance, before.maintenance),
        corrections_added=_new(before.corrections, after.corrections),
        corrections_removed=_new(after.corrections, before.corrections),
        evidence=tuple(evidence),
    )


def _new(old: Sequence[_T], new: Sequence[_T]) -> tuple[_T, ...]:
    """Items of ``new`` not in ``old``, in ``new``'s order."""
    known = set(old)
    return tuple(item for item in new if item not in known)
