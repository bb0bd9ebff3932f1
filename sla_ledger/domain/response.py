"""A support case's response targets: when each is due, and what answered it.

Readings (docs/support.md):

- The first response is due at the earliest of, for each severity the case had
  before it was answered, the instant that severity's ``first_response`` after
  it began (the opening for the first severity, the change for later ones): a
  raised severity can bring the deadline forward, a lowered one never pushes it
  back. A resolution before any response answers it too.
- After the first response, an update is due ``update_interval`` (of the current
  severity) after the last contact (the response, an update); a severity change
  brings it forward the same way. A due instant that passes without a contact
  is a missed update, and the next one is due an interval after it: every
  interval without an update is one miss. The resolution answers what is due
  and ends the duty.
- Instants of responses, updates, changes and resolutions are their recording
  instants (R14). A target is met when answered at or before it is due.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sla_ledger.domain.response_statement import TargetKind, TargetStatus
from sla_ledger.domain.support_state import Case
from sla_ledger.domain.support_terms import Clock, ResponseTarget, SupportTier


@dataclass(frozen=True)
class Target:
    """One response target of a case."""

    case_id: UUID
    kind: TargetKind
    severity: str
    clock: Clock
    due: int
    answered_at: int | None
    credit_if_missed: Decimal

    def status(self, horizon: int) -> TargetStatus:
        """Met, missed, or not yet due, as judged at ``horizon`` (what is known then)."""
        if self.answered_at is not None:
            return "met" if self.answered_at <= self.due else "missed"
        return "missed" if self.due < horizon else "pending"


def case_targets(case: Case, tier: SupportTier, until: int) -> list[Target]:
    """The first-response target and the update targets of ``case`` due before ``until``,
    in time order (the first response's may be due at ``until`` or later)."""
    first = _first_response(case, tier)
    return ([first] if first else []) + _updates(case, tier, until)


def _first_response(case: Case, tier: SupportTier) -> Target | None:
    answer = case.responded if case.responded is not None else case.resolved
    best: tuple[int, ResponseTarget] | None = None
    for since, severity in case.severities:
        if answer is not None and since > answer:
            break
        target = tier.target(severity)
        if target is None:
            continue
        due = tier.due(target, since, target.first_response_us)
        if best is None or due < best[0]:
            best = (due, target)
    if best is None:
        return None
    due, target = best
    return _target(case, "first response", target, due, answer, target.first_response_credit)


_Due = tuple[int, ResponseTarget]


def _next(tier: SupportTier, severity: str, after: int) -> _Due | None:
    target = tier.target(severity)
    interval = None if target is None else target.update_interval_us
    if target is None or interval is None:
        return None
    return tier.due(target, after, interval), target


def _updates(case: Case, tier: SupportTier, until: int) -> list[Target]:
    start = case.responded
    if start is None:
        return []
    contacts = sorted([*case.updates, *([] if case.resolved is None else [case.resolved])])
    changes = [(at, 1, severity) for at, severity in case.severities[1:] if at > start]
    timeline = sorted([(t, 0, "") for t in contacts] + changes)
    severity = _severity_at(case, start)
    due = _next(tier, severity, start)
    out: list[Target] = []
    for t, kind, changed_to in timeline:
        while due is not None and due[0] < t:  # passed without a contact
            if due[0] >= until:
                return out
            answer = contacts[i] if (i := bisect_left(contacts, due[0])) < len(contacts) else None
            out.append(_update(case, due, answer))
            due = _next(tier, severity, due[0])
        if t >= until:
            return out
        if kind == 0:  # a contact answers what is due, and the next update is due after it
            if due is not None and due[0] < until:
                out.append(_update(case, due, t))
            if t == case.resolved:
                return out
            due = _next(tier, severity, t)
        else:
            severity = changed_to
            sooner = _next(tier, changed_to, t)
            if sooner is not None and (due is None or sooner[0] < due[0]):
                due = sooner
    while due is not None and due[0] < until:  # unanswered so far
        out.append(_update(case, due, None))
        due = _next(tier, severity, due[0])
    return out


def _severity_at(case: Case, instant: int) -> str:
    return [severity for since, severity in case.severities if since <= instant][-1]


def _update(case: Case, due: _Due, answered_at: int | None) -> Target:
    at, target = due
    return _target(case, "update", target, at, answered_at, target.update_credit)


def _target(
    case: Case,
    kind: TargetKind,
    target: ResponseTarget,
    due: int,
    answered_at: int | None,
    credit: Decimal,
) -> Target:
    return Target(case.case_id, kind, target.severity, target.clock, due, answered_at, credit)
