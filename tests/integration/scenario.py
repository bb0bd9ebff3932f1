"""Small, readable scenarios built through the public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sla_ledger import (
    Contract,
    ContractLine,
    ManualClock,
    Probe,
    ProbeReceipt,
    Service,
    SlaLedger,
    open_ledger,
)

LOCATIONS = ("fra", "ams", "lon")
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def new_ledger(
    url: str, now: datetime = datetime(2026, 3, 1, tzinfo=UTC)
) -> tuple[SlaLedger, ManualClock]:
    clock = ManualClock(now)
    return open_ledger(url, clock=clock), clock


def api_service(**changes: object) -> Service:
    fields: dict[str, object] = {
        "service_id": "api",
        "locations": LOCATIONS,
        "probe_interval": timedelta(minutes=5),
    }
    return Service(**{**fields, **changes})


def contract(
    contract_id: str = "acme",
    time_zone: str = "UTC",
    starts_at: datetime = APRIL,
    fee: str = "1000.00",
    currency: str = "EUR",
    **terms: object,
) -> Contract:
    return Contract(
        contract_id=contract_id,
        customer=contract_id.upper(),
        region="eu",
        time_zone=time_zone,
        starts_at=starts_at,
        lines=(
            ContractLine(
                line_id="core", service="api", monthly_fee=Decimal(fee), currency=currency
            ),
        ),
        **terms,
    )


def probes(
    start: datetime,
    end: datetime,
    down: list[tuple[datetime, datetime]] = (),
    target: str = "api",
    locations: tuple[str, ...] = LOCATIONS,
    every: timedelta = timedelta(minutes=5),
) -> list[Probe]:
    """Probes every ``every`` from each location, down inside the ``down`` windows."""
    out = []
    t = start
    while t < end:
        ok = not any(a <= t < b for a, b in down)
        out.extend(Probe(target, location, t, ok) for location in locations)
        t += every
    return out


def record(ledger: SlaLedger, batch: list[Probe]) -> ProbeReceipt:
    """Record probes as monitoring would: after they happen (the clock moves up to them)."""
    instants = [p.at for p in batch if isinstance(p, tuple) and getattr(p[2], "tzinfo", None)]
    clock = ledger.clock
    assert isinstance(clock, ManualClock)
    if instants and clock.now() < max(instants):
        clock.set(max(instants))
    return ledger.record_probes(batch)


def record_month(
    ledger: SlaLedger,
    start: datetime,
    end: datetime,
    down: list[tuple[datetime, datetime]] = (),
    batch: int = 9_000,
) -> None:
    everything = probes(start, end, down)
    for i in range(0, len(everything), batch):
        record(ledger, everything[i : i + batch])
