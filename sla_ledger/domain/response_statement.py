"""A monthly response statement: a contract's support cases, their response targets
met and missed, and the response credits combined with availability credits."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from sla_ledger.domain.statement import EventRef, LogDigest, TermsInForce
from sla_ledger.domain.support_terms import Clock
from sla_ledger.domain.values import Duration, Exact, Instant

TargetKind = Literal["first response", "update"]
TargetStatus = Literal["met", "missed", "pending"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseTarget(_Frozen):
    """One response target of a case, judged in the month its ``due`` instant falls in."""

    case_id: UUID
    kind: TargetKind
    severity: str
    """The severity whose commitment set ``due``."""
    clock: Clock
    due: Instant
    answered_at: Instant | None
    """The response, update or resolution that answered it; None while unanswered."""
    status: TargetStatus
    """met: answered by ``due``; missed: answered after it, or not by the statement's
    knowledge time; pending: not due by then."""
    late_by: Duration | None = None
    """``answered_at`` minus ``due`` in calendar time, when answered late."""
    credit_percent: Exact
    """Percent of each line's fee this target earns: its tier's credit when missed, else 0."""


class CaseSummary(_Frozen):
    """A case with a target in the month, or opened in it, as known at the statement."""

    case_id: UUID
    subject: str
    severity: str
    opened_at: Instant
    recorded_at: Instant
    first_response_at: Instant | None
    resolved_at: Instant | None


class LineCredit(_Frozen):
    """A line's availability and response credits under its one cap (R10's ``max_credit``).

    ``combined_credit`` is the line's base times ``combined_percent``, rounded once; the
    availability credit is the line's statement's; the response credit is the rest.
    """

    line_id: str
    currency: str
    statement_version: int
    """The availability statement version combined with."""
    base: Exact
    availability_percent: Exact
    response_percent: Exact
    combined_percent: Exact
    """``min(availability_percent + response_percent, max_credit)``."""
    combined_credit: Exact
    availability_credit: Exact
    response_credit: Exact


class ResponseStatement(_Frozen):
    """The response figures of one contract for one month (docs/support.md)."""

    contract_id: str
    customer: str
    month: str
    version: int
    time_zone: str
    tier: str | None
    """The support tier of the month's terms; None when they name none (targets of
    cases opened under an earlier tier are still judged)."""
    period_start: Instant
    period_end: Instant
    cases: tuple[CaseSummary, ...] = ()
    targets: tuple[CaseTarget, ...] = ()
    met: int
    missed: int
    pending: int
    worst_misses: tuple[CaseTarget, ...] = ()
    """Up to five misses: the unanswered first, then the latest answers."""
    response_credit_percent: Exact
    lines: tuple[LineCredit, ...] = ()
    terms: TermsInForce
    changed_by: tuple[EventRef, ...] = ()
    log_position: int
    known_at: Instant
    log_digest: LogDigest | None = None

    def figures(self) -> tuple[object, ...]:
        """What a restatement compares: a change here is a change of the statement."""
        return (
            tuple(
                (t.case_id, t.kind, t.due, t.status, t.answered_at, t.credit_percent)
                for t in self.targets
            ),
            tuple(c.case_id for c in self.cases),
            self.response_credit_percent,
            tuple(
                (x.line_id, x.availability_credit, x.response_credit, x.combined_credit)
                for x in self.lines
            ),
        )

    def response_credit(self, line_id: str) -> Exact | None:
        line = next((x for x in self.lines if x.line_id == line_id), None)
        return None if line is None else line.response_credit
