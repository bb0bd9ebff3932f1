"""Two customers who share one service and each have a private one, with a closed April.

``shared`` (with redundant db instances) is measured by both; ``solo`` only by
ACME, ``private`` only by Globex. Evidence often names several services at once
(batches, corrections, incidents, announcements), so that a customer's share
has to reduce events, not only pick them. April is closed, then late evidence
restates some statements (and adjusts a credit).
"""

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
    SlaLedger,
    open_ledger,
)

ACME, GLOBEX = "ACME GmbH", "Globex Inc"
ACME_CONTRACT, GLOBEX_CONTRACT = "acme-1", "globex-1"
SHARED = Service(
    service_id="shared",
    locations=("fra", "ams"),
    probe_interval=timedelta(hours=1),
    components=(
        Component(
            name="db", instances=(Instance(name="db1", zone="a"), Instance(name="db2", zone="b"))
        ),
    ),
)
SOLO = Service(service_id="solo", locations=("fra",), probe_interval=timedelta(minutes=30))
PRIVATE = Service(service_id="private", locations=("fra", "ams"), probe_interval=timedelta(hours=1))
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def acme_contract() -> Contract:
    return Contract(
        contract_id=ACME_CONTRACT,
        customer=ACME,
        region="eu",
        time_zone="Europe/Berlin",
        starts_at=APRIL,
        lines=(
            ContractLine(
                line_id="core", service="shared", monthly_fee=Decimal("1000.00"), currency="EUR"
            ),
            ContractLine(
                line_id="extra",
                service="solo",
                monthly_fee=Decimal("250.50"),
                currency="EUR",
                target=Decimal("99.5"),
            ),
        ),
    )


def globex_contract(customer: str = GLOBEX) -> Contract:
    return Contract(
        contract_id=GLOBEX_CONTRACT,
        customer=customer,
        region="eu",
        starts_at=APRIL,
        lines=(
            ContractLine(
                line_id="core", service="shared", monthly_fee=Decimal("99.99"), currency="USD"
            ),
            ContractLine(
                line_id="own", service="private", monthly_fee=Decimal("500.00"), currency="USD"
            ),
        ),
    )


def day_of_probes(day: int) -> list[Probe]:
    """Hourly probes of every target (half-hourly for solo), with an outage on some days."""
    out = []
    for hour in range(24):
        t = at(day, hour, second=7)
        for location in SHARED.locations:
            down = day == 4 and 10 <= hour < 14
            out.append(
                Probe("shared", location, t, not down, 120_500 if location == "fra" else None)
            )
            out.append(Probe("shared/db/db1", location, t, not (day == 6 and hour < 5)))
            out.append(Probe("shared/db/db2", location, t, True))
        for half in (0, 30):
            out.append(
                Probe("solo", "fra", t + timedelta(minutes=half), not (day == 8 and hour < 2))
            )
        for location in PRIVATE.locations:
            out.append(Probe("private", location, t, not (day == 9 and hour < 6), 2_000))
    return out


def build(url: str, clock: ManualClock | None = None) -> tuple[SlaLedger, ManualClock]:
    clock = clock or ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    for service in (SHARED, SOLO, PRIVATE):
        ledger.register_service(service)
    clock.advance(timedelta(minutes=1))
    ledger.sign_contract(acme_contract())
    ledger.sign_contract(globex_contract())
    clock.advance(timedelta(minutes=1))
    both = ledger.announce_maintenance(["solo", "private"], at(10, 2), at(10, 4), "upgrade")
    theirs = ledger.announce_maintenance(["private"], at(12, 2), at(12, 3), "disk swap")
    clock.advance(timedelta(minutes=1))
    ledger.reschedule_maintenance(both, at(11, 2), at(11, 5))
    ledger.cancel_maintenance(theirs, "not needed")
    for day in range(1, 31):
        clock.set(at(day) + timedelta(days=1, minutes=5))
        ledger.record_probes(day_of_probes(day))
        if day == 2:  # a batch of the private service alone: left out of ACME's share
            ledger.record_probes(
                [Probe("private", "fra", at(2, hour, 30), hour != 3) for hour in range(24)]
            )
        if day == 15:
            outage = ledger.declare_incident(["shared", "private"], at(15, 9), reason="outage")
            clock.advance(timedelta(hours=2))
            ledger.resolve_incident(outage, at(15, 10, 30))
            mine = ledger.declare_incident(["private"], at(16, 1), reason="their outage")
            clock.advance(timedelta(minutes=1))
            ledger.resolve_incident(mine, at(16, 1, 45))
        if day == 20:
            ledger.invalidate_probes(
                ["shared@fra@2026-04-04T10:00:07Z#down", "private@ams@2026-04-09T01:00:07Z#down"],
                "probe host fault",
            )
            ledger.invalidate_probes(["private@fra@2026-04-09T02:00:07Z#down"], "probe host fault")
    ledger.amend_contract(globex_contract("Globex Corporation"))
    ledger.notice_termination(ACME_CONTRACT)
    clock.set(at(2, month=5))
    ledger.close_due_months()
    clock.advance(timedelta(hours=3))
    ledger.record_probes(
        [Probe(t, "fra", at(20, 5, 59, 59), False) for t in ("shared", "solo", "private")]
    )
    ledger.declare_incident(["shared", "solo", "private"], at(20, 6), at(20, 16), "late report")
    clock.advance(timedelta(minutes=1))
    ledger.close_due_months()
    return ledger, clock
