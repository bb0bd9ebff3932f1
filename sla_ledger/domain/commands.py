"""Commands as plain functions: check against the state, return the event to record.

Each takes the current ``LedgerState`` and the knowledge time ``now``; none
writes anything. Bad input raises an error naming the value, so a refused
command leaves the ledger exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from sla_ledger.domain import events as ev
from sla_ledger.domain import residency
from sla_ledger.domain.evidence import Probe, parse_probe_id
from sla_ledger.domain.projection import ContractHistory, LedgerState, MaintenanceHistory
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.domain.time import (
    from_us,
    is_aware,
    month_of,
    next_month,
    out_of_range,
    to_us,
)
from sla_ledger.domain.values import describe
from sla_ledger.exceptions import InvalidEvidence, InvalidTerms, UnknownReference


def register_service(state: LedgerState, service: Service, now: datetime) -> ev.DomainEvent | None:
    """None when the same service is registered already (idempotent)."""
    _require(service, Service, "service")
    existing = state.service_at(service.service_id)
    if existing is not None:
        if existing == service:
            return None
        raise InvalidTerms(f"service {service.service_id!r} is already registered with other terms")
    residency.check_record(state, f"service {service.service_id!r}", service.region)
    clash = [t for t in service.targets() if t in state.target_service]
    if clash:
        owner = state.target_service[clash[0]]
        raise InvalidTerms(f"target {clash[0]!r} already belongs to service {owner!r}")
    return ev.ServiceRegistered(
        originator_id=ev.stream_id("service", service.service_id),
        originator_version=1,
        recorded_at=now,
        service=service,
    )


def sign_contract(state: LedgerState, contract: Contract, now: datetime) -> ev.DomainEvent:
    _require(contract, Contract, "contract")
    if contract.contract_id in state.contracts:
        raise InvalidTerms(f"contract {contract.contract_id!r} is already signed; amend it instead")
    residency.check_record(state, f"contract {contract.contract_id!r}", contract.region)
    _check_services(state, contract)
    return ev.ContractSigned(
        originator_id=ev.stream_id("contract", contract.contract_id),
        originator_version=1,
        recorded_at=now,
        contract=contract,
    )


def amend_contract(state: LedgerState, contract: Contract, now: datetime) -> ev.ContractAmended:
    """New terms apply from the month after the one the amendment is recorded in (R13)."""
    _require(contract, Contract, "contract")
    history = contract_history(state, contract.contract_id)
    signed = history.signed
    if contract.time_zone != signed.time_zone or contract.starts_at != signed.starts_at:
        raise InvalidTerms("an amendment cannot change a contract's time_zone or starts_at")
    residency.check_amendment(state, contract, history.latest_terms())
    _check_services(state, contract)
    return ev.ContractAmended(
        originator_id=ev.stream_id("contract", contract.contract_id),
        originator_version=history.version + 1,
        recorded_at=now,
        contract=contract,
        effective_month=next_month(month_of(to_us(now), contract.time_zone)),
    )


def notice_termination(
    state: LedgerState, contract_id: str, ends_at: datetime | None, now: datetime
) -> ev.ContractTerminationNoticed:
    """The contract ends at ``ends_at``, but no sooner than the notice period in force
    allows (R13). Notice is given once: a second notice is refused."""
    history = contract_history(state, contract_id)
    if history.termination is not None:
        raise InvalidTerms(
            f"contract {contract_id!r} already has notice of termination, ending "
            f"{from_us(history.termination[1]).isoformat()}; notice is given once"
        )
    in_force = history.terms_for(month_of(to_us(now), history.signed.time_zone))
    earliest = now + in_force.notice_period
    end = earliest if ends_at is None else max(evidence_instant(ends_at, "ends_at"), earliest)
    return ev.ContractTerminationNoticed(
        originator_id=ev.stream_id("contract", contract_id),
        originator_version=history.version + 1,
        recorded_at=now,
        contract_id=contract_id,
        ends_at=end,
    )


def invalidate_probes(
    state: LedgerState, probes: Sequence[Probe | str], reason: str, now: datetime
) -> ev.DomainEvent:
    """Recorded probes to treat as never recorded (R6)."""
    ids = []
    for probe in probes:
        text = probe.probe_id if isinstance(probe, Probe) else str(probe)
        target, location, at, ok = parse_probe_id(text)
        if not state.evidence.contains(target, location, at, ok):
            raise UnknownReference(f"no recorded probe has id {text!r}")
        ids.append(text)
    return _new_stream(ev.ProbesInvalidated, now, probe_ids=tuple(ids), reason=text_of(reason))


def declare_incident(
    state: LedgerState,
    services: Sequence[str],
    start: datetime,
    end: datetime | None,
    reason: str,
    now: datetime,
) -> ev.DomainEvent:
    services = service_ids(services)
    _check_window(state, services, start, end, allow_open=True)
    return _new_stream(
        ev.IncidentDeclared,
        now,
        services=tuple(services),
        start=start,
        end=end,
        reason=text_of(reason),
    )


def resolve_incident(
    state: LedgerState, incident_id: UUID, end: datetime, now: datetime
) -> ev.IncidentResolved:
    incident = state.incidents.get(incident_id)
    if incident is None:
        raise UnknownReference(f"unknown incident {incident_id}")
    if to_us(evidence_instant(end, "end")) <= incident.start:
        raise InvalidEvidence(f"incident end {end.isoformat()} must be after its start")
    return ev.IncidentResolved(
        originator_id=incident_id,
        originator_version=incident.version + 1,
        recorded_at=now,
        end=end,
    )


def announce_maintenance(
    state: LedgerState,
    services: Sequence[str],
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> ev.DomainEvent:
    services = service_ids(services)
    _check_window(state, services, start, end)
    return _new_stream(
        ev.MaintenanceAnnounced, now, services=tuple(services), start=start, end=end, reason=reason
    )


def reschedule_maintenance(
    state: LedgerState, announcement_id: UUID, start: datetime, end: datetime, now: datetime
) -> ev.MaintenanceRescheduled:
    history = _announcement(state, announcement_id)
    _check_window(state, history.services, start, end)
    return ev.MaintenanceRescheduled(
        originator_id=announcement_id,
        originator_version=len(history.versions) + 1,
        recorded_at=now,
        start=start,
        end=end,
    )


def cancel_maintenance(
    state: LedgerState, announcement_id: UUID, reason: str, now: datetime
) -> ev.MaintenanceCancelled:
    history = _announcement(state, announcement_id)
    return ev.MaintenanceCancelled(
        originator_id=announcement_id,
        originator_version=len(history.versions) + 1,
        recorded_at=now,
        reason=reason,
    )


def contract_history(state: LedgerState, contract_id: str) -> ContractHistory:
    history = state.contracts.get(contract_id)
    if history is None:
        raise UnknownReference(f"unknown contract {contract_id!r}")
    return history


def aware(instant: object, what: str) -> datetime:
    """``instant`` if it is a timezone-aware datetime, else ``InvalidEvidence`` naming it."""
    if not isinstance(instant, datetime) or not is_aware(instant):
        raise InvalidEvidence(f"{what} {instant!r} must be a timezone-aware datetime")
    return instant


def evidence_instant(instant: object, what: str) -> datetime:
    """``instant`` if it is aware and from 1970 to before 9998 (UTC), else ``InvalidEvidence``."""
    checked = aware(instant, what)
    if why := out_of_range(to_us(checked)):
        raise InvalidEvidence(f"{what} {checked.isoformat()} {why}")
    return checked


def text_of(value: object, what: str = "reason") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvidence(f"{what} {value!r} must be a non-empty text")
    return value


def _announcement(state: LedgerState, announcement_id: UUID) -> MaintenanceHistory:
    history = state.maintenance.get(announcement_id)
    if history is None:
        raise UnknownReference(f"unknown maintenance announcement {announcement_id}")
    if history.versions[-1][3]:
        raise InvalidEvidence(
            f"maintenance announcement {announcement_id} was cancelled; announce a new one"
        )
    return history


def _check_services(state: LedgerState, contract: Contract) -> None:
    for line in contract.lines:
        if state.service_at(line.service) is None:
            raise UnknownReference(f"line {line.line_id!r} names unknown service {line.service!r}")


def service_ids(services: Iterable[str]) -> tuple[str, ...]:
    """The services an event names, from any collection or generator; never one string."""
    given = services
    if isinstance(given, str) or not (services := tuple(given)):
        raise InvalidEvidence(f"services {given!r} must be a non-empty list of service ids")
    return services


def _check_window(
    state: LedgerState,
    services: Sequence[str],
    start: datetime,
    end: datetime | None,
    allow_open: bool = False,
) -> None:
    for service in services:
        if state.service_at(service) is None:
            raise UnknownReference(f"unknown service {service!r}")
    evidence_instant(start, "start")
    if end is None and allow_open:
        return
    if end is None or to_us(evidence_instant(end, "end")) <= to_us(start):
        raise InvalidEvidence(
            f"window [{start.isoformat()}, {end.isoformat() if end else None}) is empty: "
            "end must be after start"
        )


def _new_stream(cls: type[ev.DomainEvent], now: datetime, **fields: Any) -> ev.DomainEvent:
    try:
        return cls(originator_id=uuid4(), originator_version=1, recorded_at=now, **fields)
    except ValidationError as error:
        raise InvalidEvidence(describe(error)) from None


def _require(value: object, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise InvalidTerms(f"{what} must be a {cls.__name__}, got {value!r}")
