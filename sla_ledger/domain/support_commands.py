"""Commands for support cases and exclusions: check against the state, return the event.

Like ``commands``: nothing is written here, and bad input raises an error naming
the value. A response, an update, a severity change and a resolution take
effect when recorded, so none of them takes an instant: they cannot be
backdated (R14, docs/support.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from sla_ledger.domain import events as ev
from sla_ledger.domain.commands import contract_history, evidence_instant, service_ids, text_of
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.response_reckoning import case_tier
from sla_ledger.domain.support_state import Case
from sla_ledger.domain.support_terms import SupportTier
from sla_ledger.domain.terms import check_category
from sla_ledger.domain.time import from_us, month_of, to_us
from sla_ledger.domain.values import describe
from sla_ledger.exceptions import InvalidEvidence, InvalidTerms, UnknownReference


def open_case(
    state: LedgerState,
    contract_id: str,
    severity: str,
    opened_at: datetime | None,
    subject: str,
    now: datetime,
) -> ev.DomainEvent:
    """A case opened at ``opened_at`` (default: now), which may be earlier than now (the
    customer raised it before it was recorded), but not later, and within the contract."""
    history = contract_history(state, contract_id)
    opened = now if opened_at is None else evidence_instant(opened_at, "opened_at")
    if opened > now:
        raise InvalidEvidence(
            f"opened_at {opened.isoformat()} is after the ledger clock's {now.isoformat()}: "
            "a case is recorded after it is opened"
        )
    at = to_us(opened)
    if at < to_us(history.signed.starts_at) or at >= history.ends_at():
        raise InvalidEvidence(
            f"opened_at {opened.isoformat()} is outside contract {contract_id!r}'s active period"
        )
    month = month_of(at, history.signed.time_zone)
    tier = history.terms_for(month).support
    if tier is None:
        raise InvalidTerms(
            f"contract {contract_id!r} names no support tier in {month}: amend it to add one"
        )
    _check_severity(tier, severity)
    if not isinstance(subject, str):
        raise InvalidEvidence(f"subject {subject!r} must be a text")
    return _new(ev.SupportCaseOpened, now, contract_id=contract_id, severity=severity,
                opened_at=opened, subject=subject)  # fmt: skip


def change_severity(
    state: LedgerState, case_id: UUID, severity: str, reason: str, now: datetime
) -> ev.DomainEvent:
    case = _open_case(state, case_id)
    tier = case_tier(state.contracts[case.contract_id], case, to_us(now))
    assert tier is not None  # the case was opened under it
    _check_severity(tier, severity)
    if severity == case.severity:
        raise InvalidEvidence(f"case {case_id} is already of severity {severity!r}")
    return _next(ev.SupportCaseSeverityChanged, case, now, severity=severity, reason=reason)


def respond(state: LedgerState, case_id: UUID, note: str, now: datetime) -> ev.DomainEvent:
    """The case's first response, now."""
    case = _open_case(state, case_id)
    if case.responded is not None:
        raise InvalidEvidence(
            f"case {case_id} had its first response at {from_us(case.responded).isoformat()}; "
            "record an update instead"
        )
    return _next(ev.SupportCaseResponded, case, now, note=note)


def update_case(state: LedgerState, case_id: UUID, note: str, now: datetime) -> ev.DomainEvent:
    case = _open_case(state, case_id)
    if case.responded is None:
        raise InvalidEvidence(f"case {case_id} has no first response yet: respond first")
    return _next(ev.SupportCaseUpdated, case, now, note=note)


def resolve_case(state: LedgerState, case_id: UUID, note: str, now: datetime) -> ev.DomainEvent:
    return _next(ev.SupportCaseResolved, _open_case(state, case_id), now, note=note)


def record_exclusion(
    state: LedgerState,
    category: str,
    services: Sequence[str],
    window: tuple[datetime, datetime],
    reason: str,
    decided_by: str,
    contract_id: str | None,
    now: datetime,
) -> ev.DomainEvent:
    """An exclusion of ``window`` of ``services`` (docs/rules.md, "Exclusions")."""
    try:
        check_category(category)
    except ValueError as error:
        raise InvalidEvidence(f"category: {error}") from None
    services = service_ids(services)
    for service in services:
        if state.service_at(service) is None:
            raise UnknownReference(f"unknown service {service!r}")
    start, end = evidence_instant(window[0], "start"), evidence_instant(window[1], "end")
    if end <= start:
        raise InvalidEvidence(
            f"window [{start.isoformat()}, {end.isoformat()}) is empty: end must be after start"
        )
    if contract_id is not None:
        measured = {x.service for x in contract_history(state, contract_id).latest_terms().lines}
        if not measured & set(services):
            raise InvalidEvidence(
                f"contract {contract_id!r} measures none of {list(services)}; it measures "
                f"{sorted(measured)}"
            )
    return _new(ev.ExclusionRecorded, now, category=category, services=tuple(services),
                start=start, end=end, reason=text_of(reason),
                decided_by=text_of(decided_by, "decided_by"), contract_id=contract_id)  # fmt: skip


def withdraw_exclusion(
    state: LedgerState, exclusion_id: UUID, reason: str, decided_by: str, now: datetime
) -> ev.ExclusionWithdrawn:
    exclusion = state.support.exclusions.get(exclusion_id)
    if exclusion is None:
        raise UnknownReference(f"unknown exclusion {exclusion_id}")
    if exclusion.withdrawn is not None:
        raise InvalidEvidence(
            f"exclusion {exclusion_id} was withdrawn at "
            f"{from_us(exclusion.withdrawn).isoformat()}; it is withdrawn once"
        )
    return ev.ExclusionWithdrawn(
        originator_id=exclusion_id,
        originator_version=exclusion.version + 1,
        recorded_at=now,
        reason=text_of(reason),
        decided_by=text_of(decided_by, "decided_by"),
    )


def _open_case(state: LedgerState, case_id: UUID) -> Case:
    case = state.support.cases.get(case_id)
    if case is None:
        raise UnknownReference(f"unknown support case {case_id}")
    if case.resolved is not None:
        raise InvalidEvidence(
            f"case {case_id} was resolved at {from_us(case.resolved).isoformat()}; "
            "open a new case instead"
        )
    return case


def _check_severity(tier: SupportTier, severity: str) -> None:
    if severity not in tier.severities:
        raise InvalidEvidence(
            f"severity {severity!r} is not one of the severities of support tier {tier.name!r}: "
            f"{', '.join(tier.severities)}"
        )


def _next(cls: type[ev.DomainEvent], case: Case, now: datetime, **fields: Any) -> ev.DomainEvent:
    return _event(cls, case.case_id, case.version + 1, now, fields)


def _new(cls: type[ev.DomainEvent], now: datetime, **fields: Any) -> ev.DomainEvent:
    return _event(cls, uuid4(), 1, now, fields)


def _event(
    cls: type[ev.DomainEvent], stream: UUID, version: int, now: datetime, fields: dict[str, Any]
) -> ev.DomainEvent:
    try:
        return cls(originator_id=stream, originator_version=version, recorded_at=now, **fields)
    except ValidationError as error:
        raise InvalidEvidence(describe(error)) from None
