"""The work the crash suite kills, the same on every run: terms, two months of probes in
daily batches, a maintenance window, incidents, and the closes of those months.

Every step is stamped by a ``ManualClock`` set from the inputs alone, and every step
can be sent again: a re-send records only what is missing, so a store that was
killed and re-sent ends up as one that never was (``crash_worker.py`` runs it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sla_ledger import Contract, ContractLine, ManualClock, Probe, Service, SlaLedger
from sla_ledger.domain.time import to_us

Say = Callable[[str], None]
"""Where the work reports its progress, one line at a time (the worker's stdout)."""

LOCATIONS = ("fra", "ams", "lon")
EVERY = timedelta(minutes=10)
SERVICES = tuple(
    Service(service_id=name, locations=LOCATIONS, probe_interval=EVERY) for name in ("api", "web")
)


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _line(line_id: str, service: str, fee: str, currency: str) -> ContractLine:
    return ContractLine(
        line_id=line_id, service=service, monthly_fee=Decimal(fee), currency=currency
    )


CONTRACTS = (
    Contract(
        contract_id="acme",
        customer="ACME GmbH",
        region="eu",
        starts_at=utc(4, 1),
        lines=(_line("core", "api", "1000.00", "EUR"),),
    ),
    Contract(
        contract_id="globex",
        customer="Globex Inc.",
        region="eu",
        starts_at=utc(4, 1),
        lines=(_line("api", "api", "2000.00", "USD"), _line("web", "web", "500.00", "USD")),
    ),
    Contract(
        contract_id="initech",
        customer="Initech",
        region="eu",
        time_zone="Europe/Berlin",
        starts_at=utc(3, 31, 22),
        lines=(_line("portal", "web", "800.00", "EUR"),),
    ),
)
LINES = sum(len(contract.lines) for contract in CONTRACTS)

SIGNED_AT = utc(3, 1)
ANNOUNCED_AT = utc(3, 20)  # 26 days ahead: the window qualifies (R8)
MAINTENANCE = (("api",), utc(4, 15, 2), utc(4, 15, 4))
DOWN = {
    "api": [(utc(4, 10, 12), utc(4, 10, 12, 50)), (utc(5, 7, 3), utc(5, 7, 4, 30))],
    "web": [(utc(4, 22, 8), utc(4, 22, 9)), (utc(5, 18, 20), utc(5, 18, 23))],
}
DAYS = [utc(4, 1) + timedelta(days=n) for n in range(61)]  # April and May
# An outage of web declared while it lasts, resolved the next day (R5).
INCIDENT = (("web",), utc(4, 12, 10))
INCIDENT_END = utc(4, 12, 11, 30)
DECLARED_AFTER, RESOLVED_AFTER = 11, 12  # after these days' batches

# The closes: April, then a post-mortem that restates April, then May (R11, R12).
CLOSES = (utc(5, 1, 2), utc(6, 1, 2))
LATE_AT = utc(5, 20)
LATE_INCIDENT = (("api",), utc(4, 25), utc(4, 25, 6))


def day_probes(day: datetime) -> list[Probe]:
    """Every probe of one day: each service from each location, down in ``DOWN``."""
    probes = []
    at = day
    while at < day + timedelta(days=1):
        for service in SERVICES:
            ok = not any(a <= at < b for a, b in DOWN[service.service_id])
            probes.extend(Probe(service.service_id, where, at, ok) for where in LOCATIONS)
        at += EVERY
    return probes


def all_probes() -> Iterator[Probe]:
    for day in DAYS:
        yield from day_probes(day)


# -- the work ---------------------------------------------------------------------------------


def terms(ledger: SlaLedger, clock: ManualClock) -> None:
    """Services, contracts and the maintenance announcement, each recorded once."""
    clock.set(SIGNED_AT)
    for service in SERVICES:
        ledger.register_service(service)  # records nothing when registered already
    signed = {contract.contract_id for contract in ledger.contracts()}
    for contract in CONTRACTS:
        if contract.contract_id not in signed:
            ledger.sign_contract(contract)
    clock.set(ANNOUNCED_AT)
    services, start, end = MAINTENANCE
    if not _announced(ledger, services, start):
        ledger.announce_maintenance(services, start, end, reason="database upgrade")


def ingest(ledger: SlaLedger, clock: ManualClock, say: Say) -> None:
    """Record the terms, then each day's probes as one batch, after the day (R14)."""
    terms(ledger, clock)
    for number, day in enumerate(DAYS):
        clock.set(day + timedelta(days=1))
        receipt = ledger.record_probes(day_probes(day))
        say(f"batch {number} {receipt.recorded} {receipt.duplicates}")
        if number == DECLARED_AFTER:
            services, start = INCIDENT
            if _incident(ledger, services, start) is None:
                ledger.declare_incident(services, start, reason="web tier down")
        if number == RESOLVED_AFTER:
            services, start = INCIDENT
            incident = _incident(ledger, services, start)
            if incident is not None and not ledger.catch_up().incidents[incident].resolutions:
                ledger.resolve_incident(incident, INCIDENT_END)


def close(ledger: SlaLedger, clock: ManualClock, say: Say) -> None:
    """Close April, record a late incident for it, then close again: April is restated
    and May issued."""
    clock.set(CLOSES[0])
    say(f"closed {len(ledger.close_due_months(CLOSES[0]))}")
    clock.set(LATE_AT)
    services, start, end = LATE_INCIDENT
    if _incident(ledger, services, start) is None:
        ledger.declare_incident(services, start, end, reason="found in the post-mortem")
        say("declared")
    clock.set(CLOSES[1])
    say(f"closed {len(ledger.close_due_months(CLOSES[1]))}")


def _announced(ledger: SlaLedger, services: tuple[str, ...], start: datetime) -> bool:
    windows = ledger.catch_up().maintenance.values()
    return any(m.services == services and m.versions[0][1] == to_us(start) for m in windows)


def _incident(ledger: SlaLedger, services: tuple[str, ...], start: datetime) -> UUID | None:
    """The id of the incident declared over ``services`` from ``start``, if any: how a
    client that sends everything again avoids declaring it twice."""
    incidents = ledger.catch_up().incidents.items()
    return next(
        (i for i, x in incidents if x.services == services and x.start == to_us(start)), None
    )
