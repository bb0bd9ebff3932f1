"""Building a contract's monthly report from a ledger: the statement of each line (issued,
or computed and marked provisional), and what the domain says about its month."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sla_ledger.audit.explain import replay
from sla_ledger.audit.history import contract_lines
from sla_ledger.domain import events as ev
from sla_ledger.domain import intervals as iv
from sla_ledger.domain.comparison import compare
from sla_ledger.domain.credit_steps import credit_steps
from sla_ledger.domain.daily import Day, MonthStates, daily, month_states, spans, window_parts
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.measure import Figures, truncated_percent
from sla_ledger.domain.money import round_half_up
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.time import from_us, parse_month, to_us
from sla_ledger.exceptions import StoreError
from sla_ledger.reports.model import (
    ContractReport,
    CreditRecord,
    CreditWorking,
    DayFigures,
    DayLevel,
    LineReport,
    ResponseReport,
    Span,
    Version,
    WindowSpan,
)

if TYPE_CHECKING:
    from sla_ledger.application import CreditEntry, SlaLedger

PAGE = 1000


def contract_report(
    ledger: SlaLedger,
    contract_id: str,
    month: str,
    line_id: str | None = None,
    as_known_at: datetime | None = None,
) -> ContractReport:
    """The monthly report of a contract (every line, or ``line_id``).

    Each line shows its issued statement (the latest version, or the one current
    at ``as_known_at``); a line without one is computed now, month to date, as
    known at ``as_known_at`` (default now), and marked provisional.
    """
    parse_month(month)
    lines = [line_id] if line_id else contract_line_ids(ledger, contract_id, month, as_known_at)
    credits = _credits(ledger)
    reports = [
        line_report(ledger, contract_id, line, month, as_known_at, credits) for line in lines
    ]
    first = reports[0].statement
    return ContractReport(
        contract_id=contract_id,
        customer=first.customer,
        month=month,
        time_zone=first.time_zone,
        period_start=first.period_start,
        period_end=first.period_end,
        provisional=any(r.status == "provisional" for r in reports),
        as_known_at=as_known_at,
        generated_at=ledger.clock.now(),
        lines=tuple(reports),
        ledger_digest=ledger.digest(),
        response=response_report(ledger, contract_id, month, as_known_at),
    )


def response_report(
    ledger: SlaLedger, contract_id: str, month: str, as_known_at: datetime | None = None
) -> ResponseReport | None:
    """The issued response statement, or one computed month to date, or None."""
    issued = ledger.response_statement_for(contract_id, month, as_known_at)
    if issued is not None:
        return ResponseReport(status="issued", statement=issued)
    at = as_known_at or ledger.clock.now()
    computed = ledger.compute_response_statement(contract_id, month, at, until=at)
    return None if computed is None else ResponseReport(status="provisional", statement=computed)


def contract_line_ids(
    ledger: SlaLedger, contract_id: str, month: str, as_known_at: datetime | None = None
) -> list[str]:
    """The lines of a contract's terms for ``month`` as known then, and any other line
    issued for it."""
    lines = contract_lines(ledger, contract_id, month, as_known_at)
    issued = [s.line_id for s in ledger.statements(contract_id, month)]
    return lines + [x for x in issued if x not in lines]


def line_report(
    ledger: SlaLedger,
    contract_id: str,
    line_id: str,
    month: str,
    as_known_at: datetime | None = None,
    credits: list[CreditEntry] | None = None,
) -> LineReport:
    """One line's part of the report; ``credits`` is the ledger's credits feed, if read."""
    issued = ledger.statement_for(contract_id, line_id, month, as_known_at)
    if issued is not None:
        statement, known, until = issued, to_us(issued.known_at), FOREVER
    else:
        at = as_known_at or ledger.clock.now()
        statement = ledger.compute_statement(contract_id, line_id, month, at, until=at)
        known = until = to_us(at)
    states = reproduce(ledger, statement, known, until)
    return LineReport(
        status="provisional" if issued is None else "issued",
        statement=statement,
        working=working(states, statement),
        timeline=tuple(
            Span(state=state, start=from_us(a), end=from_us(b), duration=_td(b - a))
            for a, b, state in spans(states)
        ),
        maintenance=tuple(
            WindowSpan(
                announcement_id=d.announcement.announcement_id,
                part=part,
                start=from_us(a),
                end=from_us(b),
                duration=_td(b - a),
            )
            for a, b, part, d in window_parts(states)
        ),
        days=tuple(_day(d) for d in daily(states)),
        history=_history(ledger, statement) if issued else (),
        credits=_credit_records(
            _credits(ledger) if credits is None else credits, statement, as_known_at
        ),
    )


def reproduce(ledger: SlaLedger, statement: Statement, known: int, until: int) -> MonthStates:
    """The intervals behind ``statement``, checked against its figures.

    As known at the statement's instant, the ledger's state usually reproduces it;
    where events were recorded in that same microsecond after it, the log is
    replayed up to the position it was computed at.
    """
    now = to_us(ledger.clock.now())

    def states_from(state: LedgerState) -> MonthStates:
        reckoner = Reckoner(state, now, known, until)
        return month_states(reckoner, statement.contract_id, statement.line_id, statement.month)

    states = states_from(ledger.catch_up())
    if _matches(states, statement):
        return states
    states = states_from(_replayed(ledger, statement))
    if _matches(states, statement):
        return states
    raise StoreError(
        f"the statement of {statement.contract_id!r} line {statement.line_id!r} for "
        f"{statement.month} (v{statement.version}) does not follow from the log it names; "
        "run 'sla-ledger verify'"
    )


def _replayed(ledger: SlaLedger, statement: Statement) -> LedgerState:
    """A fresh fold of the events the statement was computed from: the first
    ``log_digest.size`` events (portable across imports), else up to its log position."""
    key = (statement.contract_id, statement.line_id, statement.month, statement.version)
    digest = statement.log_digest
    if digest is None:
        return replay(ledger, statement.log_position, None, key)[0]
    return replay(ledger, ledger.catch_up().position, digest.size, key)[0]


def _matches(states: MonthStates, s: Statement) -> bool:
    f = states.figures()
    outages = [(to_us(o.start), to_us(o.end)) for o in s.outages]
    return (
        (f.active_us, f.excluded_us, f.eligible_us, f.down_us, f.unknown_us)
        == (s.active_us, s.excluded_us, s.eligible_us, s.down_us, s.unknown_us)
        and (f.availability, f.credit) == (s.availability, s.credit)
        and outages == iv.intersect(states.down, states.eligible)
    )


def working(states: MonthStates, s: Statement) -> CreditWorking:
    """The credit's arithmetic for the report, checked against the statement."""
    line = states.line
    steps = credit_steps(line, s.availability, s.active_us, s.month_us)
    if steps.credit != s.credit:  # _matches compared the figures: this cannot differ
        raise AssertionError(f"credit working gives {steps.credit}, statement {s.credit}")
    return CreditWorking(
        monthly_fee=line.monthly_fee,
        proration=steps.proration,
        base_exact=steps.base,
        base=round_half_up(steps.base, line.currency),
        schedule=line.credit_schedule,
        tier=steps.tier,
        credit_percent=steps.percent,
        max_credit=line.max_credit,
        capped=steps.capped_percent < steps.percent,
        amount_exact=steps.exact,
        rounded=steps.rounded,
        minor_unit=steps.minor_unit,
        minimum_credit=line.minimum_credit,
        below_minimum=steps.below_minimum,
        credit=steps.credit,
        currency=line.currency,
    )


def _day(day: Day) -> DayFigures:
    f = day.figures
    return DayFigures(
        date=day.date,
        start=from_us(day.start),
        end=from_us(day.end),
        active=_td(f.active_us),
        excluded=_td(f.excluded_us),
        eligible=_td(f.eligible_us),
        down=_td(f.down_us),
        unknown=_td(f.unknown_us),
        unavailable=_td(f.unavailable_us),
        availability=f.availability,
        availability_percent=truncated_percent(f.availability),
        level=_level(f),
    )


def _level(f: Figures) -> DayLevel:
    if not f.active_us:
        return "inactive"
    if not f.eligible_us:
        return "excluded"
    if f.availability == 1:
        return "full"
    if f.met:
        return "met"
    return "poor" if f.availability * 100 < 99 else "missed"


def _history(ledger: SlaLedger, shown: Statement) -> tuple[Version, ...]:
    """The versions issued up to the one shown (later ones were not known then)."""
    key = (shown.contract_id, shown.line_id, shown.month)
    history = ledger.catch_up().statements.get(key)
    versions = [v for v in history.versions if v.version <= shown.version] if history else []
    return tuple(
        Version(
            version=v.version,
            issued_at=v.known_at,
            availability=v.availability,
            availability_percent=v.availability_percent,
            met=v.met,
            credit=v.credit,
            changed=compare(previous, v).figures if previous else (),
            changed_by=v.changed_by,
            log_digest=v.log_digest,
        )
        for previous, v in zip([None, *versions], versions, strict=False)
    )


def _credit_records(
    feed: list[CreditEntry], s: Statement, as_known_at: datetime | None
) -> tuple[CreditRecord, ...]:
    return tuple(
        CreditRecord(
            kind="CreditIssued" if c.kind == "CreditIssued" else "CreditAdjusted",
            position=c.position,
            amount=c.amount,
            currency=c.currency,
            statement_version=c.statement_version,
            recorded_at=c.recorded_at,
        )
        for c in feed
        if c.kind in ev.CREDIT_TYPES  # response credits are the response statement's
        and (c.contract_id, c.line_id, c.month) == (s.contract_id, s.line_id, s.month)
        and (as_known_at is None or c.recorded_at <= as_known_at)
    )


def _credits(ledger: SlaLedger) -> list[CreditEntry]:
    entries, after = [], 0
    while page := ledger.credits(after, PAGE):
        entries.extend(page)
        after = page[-1].position
    return entries


def _td(us: int) -> timedelta:
    return timedelta(microseconds=us)
