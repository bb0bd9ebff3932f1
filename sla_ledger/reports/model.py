"""What a monthly report says, as data: rendered to HTML and Markdown, dumped as JSON.

Every figure is exact: in JSON, durations are decimal strings of seconds,
money and percentages decimal strings, availabilities ``"numerator/denominator"``
(docs/reports.md describes each field).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from sla_ledger.domain.daily import SpanState, WindowPart
from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import EventRef, LogDigest, Statement
from sla_ledger.domain.terms import CreditTier
from sla_ledger.domain.values import Duration, Exact, ExactFraction, Instant

REPORT_VERSION = 1

Status = Literal["issued", "provisional"]
"""``issued``: the statement the ledger issued; ``provisional``: computed for the
report, not issued (the month has not closed, or not as known at the instant asked)."""

DayLevel = Literal["full", "met", "missed", "poor", "excluded", "inactive"]
"""A day's colour: ``full`` 100 %; ``met`` at or above the line's target; ``missed``
below it; ``poor`` below 99 %; ``excluded`` active but all maintenance; ``inactive``
outside the contract."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """A stretch of the month in one state; the spans of a line tile its month."""

    state: SpanState
    start: Instant
    end: Instant
    duration: Duration


class WindowSpan(_Frozen):
    """A part of an announced maintenance window within the active period (R8)."""

    announcement_id: UUID
    part: WindowPart
    start: Instant
    end: Instant
    duration: Duration


class DayFigures(_Frozen):
    """One local day of the month in the contract's time zone, measured as the month is."""

    date: str
    start: Instant
    end: Instant
    active: Duration
    excluded: Duration
    eligible: Duration
    down: Duration
    unknown: Duration
    unavailable: Duration
    availability: ExactFraction
    availability_percent: str
    level: DayLevel


class CreditWorking(_Frozen):
    """The arithmetic from availability to credit (R10), step by step."""

    monthly_fee: Exact
    proration: ExactFraction
    """Active time over the month's length."""
    base_exact: ExactFraction
    base: Exact
    """``base_exact`` rounded half-up to the currency's minor unit, for display only."""
    schedule: tuple[CreditTier, ...]
    tier: CreditTier | None
    credit_percent: Exact
    max_credit: Exact
    capped: bool
    amount_exact: ExactFraction
    """``base_exact`` times the (capped) percent, before rounding."""
    rounded: Exact
    minor_unit: int
    minimum_credit: Exact
    below_minimum: bool
    credit: Exact
    currency: str


class Version(_Frozen):
    """One issued version of the statement and what made it."""

    version: int
    issued_at: Instant
    availability: ExactFraction
    availability_percent: str
    met: bool
    credit: Exact
    changed: tuple[str, ...]
    """The figures that differ from the previous version (``domain.comparison.FIGURES``)."""
    changed_by: tuple[EventRef, ...]
    log_digest: LogDigest | None


class CreditRecord(_Frozen):
    """A credit or credit adjustment recorded for the line and month."""

    kind: Literal["CreditIssued", "CreditAdjusted"]
    position: int
    amount: Exact
    currency: str
    statement_version: int
    recorded_at: Instant


class LineReport(_Frozen):
    """One contract line's month: the statement, its working, pictures and history."""

    status: Status
    statement: Statement
    working: CreditWorking
    timeline: tuple[Span, ...]
    maintenance: tuple[WindowSpan, ...]
    days: tuple[DayFigures, ...]
    history: tuple[Version, ...]
    credits: tuple[CreditRecord, ...]


class ResponseReport(_Frozen):
    """The contract's response statement for the month (docs/support.md)."""

    status: Status
    statement: ResponseStatement


class ContractReport(_Frozen):
    """The monthly SLA report of a contract: what a customer receives."""

    report_version: int = REPORT_VERSION
    contract_id: str
    customer: str
    month: str
    time_zone: str
    period_start: Instant
    period_end: Instant
    provisional: bool
    """Whether any line is provisional: not issued, figures may still change."""
    as_known_at: Instant | None
    generated_at: Instant
    lines: tuple[LineReport, ...]
    ledger_digest: LogDigest
    """The digest of the whole log when the report was made."""
    response: ResponseReport | None = None
    """Support cases, response targets and response credits, for a contract with a
    support tier (None: it has none that month)."""


class PortfolioRow(_Frozen):
    """One contract line's month in the portfolio."""

    contract_id: str
    customer: str
    line_id: str
    service: str
    status: Status
    version: int
    availability: ExactFraction
    availability_percent: str
    target: Exact
    met: bool
    credit: Exact
    """The statement's credit for the month."""
    credited: Exact
    """What the ledger has recorded as credited for it (credits and adjustments)."""
    currency: str


class CurrencyTotal(_Frozen):
    currency: str
    lines: int
    credit: Exact
    credited: Exact


class Portfolio(_Frozen):
    """Every contract line of a month, worst availability first, with totals per currency."""

    report_version: int = REPORT_VERSION
    month: str
    generated_at: Instant
    rows: tuple[PortfolioRow, ...]
    totals: tuple[CurrencyTotal, ...]
    ledger_digest: LogDigest
