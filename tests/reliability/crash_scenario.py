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
from zoneinfo import ZoneInfo

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


ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
CUSTOMERS = 24


def _contract(number: int) -> Contract:
    """Customer ``number``: api, web or both, in one of four zones, from its local 1 April."""
    services = (("api",), ("web",), ("api", "web"))[number % 3]
    zone = ZONES[number % len(ZONES)]
    fee, currency = f"{500 + 100 * number}.00", ("EUR", "USD")[number % 2]
    return Contract(
        contract_id=f"customer{number:02}",
        customer=f"Customer {number}",
        region="eu",
        time_zone=zone,
        starts_at=datetime(2026, 4, 1, tzinfo=ZoneInfo(zone)),
        lines=tuple(_line(name, name, fee, currency) for name in services),
    )


CONTRACTS = tuple(_contract(number) for number in range(CUSTOMERS))

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

# The closes, once the evidence is in: April; then post-mortems that find outages in
# April, each recorded and followed by a close that restates April (R12); then May.
# Each close runs at its own instant, so the statements of one close share theirs.
CLOSES = (utc(5, 1, 2), utc(6, 1, 2))  # what is due: April, then May too (R11)
CLOSING = (utc(6, 2), utc(6, 8))  # when the first and the last close run
LATE = (  # recorded at, services, start, end
    (utc(6, 3), ("api",), utc(4, 25), utc(4, 25, 6)),
    (utc(6, 4), ("web",), utc(4, 27, 1), utc(4, 27, 2)),
    (utc(6, 5), ("api", "web"), utc(4, 29, 3), utc(4, 29, 13)),
    (utc(6, 6), ("web",), utc(4, 30, 20), utc(4, 30, 23, 30)),
)


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
    """Close April; record each post-mortem's incident and close again, restating April;
    close May."""
    clock.set(CLOSING[0])
    say(f"closed {len(ledger.close_due_months(CLOSES[0]))}")
    for recorded_at, services, start, end in LATE:
        clock.set(recorded_at)
        if _incident(ledger, services, start) is None:
            ledger.declare_incident(services, start, end, reason="found in a post-mortem")
            say("declared")
        say(f"closed {len(ledger.close_due_months(CLOSES[0]))}")
    clock.set(CLOSING[1])
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
