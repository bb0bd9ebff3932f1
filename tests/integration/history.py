"""A ledger with a month of history: evidence, changed terms, statements, a restatement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    Instance,
    ManualClock,
    Probe,
    Service,
    open_ledger,
)

APRIL = datetime(2026, 4, 1, tzinfo=UTC)
API = Service(
    service_id="api",
    locations=("fra", "ams", "par"),
    probe_interval=timedelta(hours=1),
    components=(
        Component(
            name="db", instances=(Instance(name="db1", zone="a"), Instance(name="db2", zone="b"))
        ),
    ),
)
WEB = Service(
    service_id="web",
    locations=("fra",),
    probe_interval=timedelta(minutes=30),
    staleness=timedelta(hours=2),
)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, second, tzinfo=UTC)


def day_of_probes(day: int) -> list[Probe]:
    """Hourly probes of every api target and half-hourly ones of web, with a few outages."""
    out = []
    for hour in range(24):
        t = at(day + 1, hour, second=7) + timedelta(microseconds=250 if hour == 3 else 0)
        for location in API.locations:
            out.append(
                Probe(
                    "api",
                    location,
                    t,
                    not (day == 4 and 10 <= hour < 14),
                    120_500 if location == "fra" else None,
                )
            )
            out.append(Probe("api/db/db1", location, t, not (day == 6 and hour < 5)))
            out.append(Probe("api/db/db2", location, t, True))
        out.append(Probe("web", "fra", t, not (day == 8 and hour == 2), 2_000))
        out.append(Probe("web", "fra", t + timedelta(minutes=30), True, 1_999))
    return out


def build_history(url: str):
    """A month of evidence, changed terms, statements issued, one restated, a credit adjusted."""
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    ledger.register_service(API)
    ledger.register_service(WEB)
    clock.advance(timedelta(minutes=1))
    lines = (
        ContractLine(line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR"),
        ContractLine(
            line_id="site",
            service="web",
            monthly_fee=Decimal("250.50"),
            currency="EUR",
            target=Decimal("99.5"),
        ),
    )
    ledger.sign_contract(
        Contract(
            contract_id="c1",
            customer="ACME",
            region="eu",
            time_zone="Europe/Berlin",
            starts_at=APRIL,
            lines=lines,
        )
    )
    globex = Contract(
        contract_id="c2",
        customer="Globex",
        region="eu",
        starts_at=APRIL,
        lines=(
            ContractLine(
                line_id="core", service="api", monthly_fee=Decimal("99.99"), currency="USD"
            ),
        ),
    )
    ledger.sign_contract(globex)
    clock.advance(timedelta(minutes=1))
    upgrade = ledger.announce_maintenance(["api"], at(10, 2), at(10, 4), "upgrade")
    spare = ledger.announce_maintenance(["web"], at(12, 2), at(12, 3))
    clock.advance(timedelta(minutes=1))
    ledger.reschedule_maintenance(upgrade, at(11, 2), at(11, 5))
    ledger.cancel_maintenance(spare, "not needed")
    for day in range(30):
        clock.set(at(day + 1) + timedelta(days=1, minutes=5))
        ledger.record_probes(day_of_probes(day))
        if day == 15:
            cdn = ledger.declare_incident(["web"], at(15, 9), reason="CDN outage")
            clock.advance(timedelta(hours=2))
            ledger.resolve_incident(cdn, datetime(2026, 4, 15, 10, 30, tzinfo=UTC))
            ledger.declare_incident(["api"], at(16, 1), at(16, 1, 45), "bad deploy")
        if day == 20:
            ledger.invalidate_probes(["api@fra@2026-04-05T10:00:07Z#down"], "probe host fault")
    ledger.amend_contract(globex.model_copy(update={"customer": "Globex Corp"}))
    ledger.notice_termination("c1")
    clock.set(datetime(2026, 5, 2, tzinfo=UTC))
    ledger.close_due_months()
    clock.advance(timedelta(hours=3))
    ledger.record_probes([Probe("web", "fra", datetime(2026, 4, 20, 5, 59, 59, tzinfo=UTC), False)])
    ledger.declare_incident(["web"], at(20, 6), at(20, 16), "late report")
    clock.advance(timedelta(minutes=1))
    ledger.close_due_months()
    return ledger, clock
