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
from dataclasses import dataclass, field
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
    if case.responded is None:
        return []
    contacts = sorted([*case.updates, *([] if case.resolved is None else [case.resolved])])
    changes = [(at, 1, severity) for at, severity in case.severities[1:] if at > case.responded]
    severity = _severity_at(case, case.responded)
    sweep = _Sweep(case, tier, until, contacts, severity, _next(tier, severity, case.responded))
    for t, kind, changed_to in sorted([(t, 0, "") for t in contacts] + changes):
        sweep.passed(t)
        if t >= until:
            return sweep.out
        if kind == 1:
            sweep.change(t, changed_to)
            continue
        sweep.contact(t)
        if t == case.resolved:
            return sweep.out
    sweep.passed(until)  # unanswered so far
    return sweep.out


@dataclass
class _Sweep:
    """A case's contacts and severity changes, walked in time order (the module's rules)."""

    case: Case
    tier: SupportTier
    until: int
    contacts: list[int]
    severity: str
    due: _Due | None
    out: list[Target] = field(default_factory=list)

    def passed(self, before: int) -> None:
        """Dues before ``before`` (and ``until``) went without a contact: each is a miss,
        answered by the first contact after it, if any; the next is due an interval later."""
        while self.due is not None and self.due[0] < min(before, self.until):
            i = bisect_left(self.contacts, self.due[0])
            answer = self.contacts[i] if i < len(self.contacts) else None
            self.out.append(_update(self.case, self.due, answer))
            self.due = _next(self.tier, self.severity, self.due[0])

    def contact(self, at: int) -> None:
        """A contact answers what is due, and the next update is due an interval after it."""
        if self.due is not None and self.due[0] < self.until:
            self.out.append(_update(self.case, self.due, at))
        self.due = _next(self.tier, self.severity, at)

    def change(self, at: int, severity: str) -> None:
        """A new severity's interval brings the next update forward, never back."""
        self.severity = severity
        sooner = _next(self.tier, severity, at)
        if sooner is not None and (self.due is None or sooner[0] < self.due[0]):
            self.due = sooner


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
