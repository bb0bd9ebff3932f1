"""A small, lived-in ledger for the fuzz tests to attack: two services, a contract with
a support tier, a month of probes, an incident, maintenance, an exclusion, a case and a
closed month. Built once per store kind as a template; each example gets a copy."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    Instance,
    ManualClock,
    Probe,
    ResponseTarget,
    Service,
    SlaLedger,
    SupportTier,
    open_ledger,
)

APRIL = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)  # the clock of every copy
MINUTE = timedelta(minutes=1)

WEB = Service(service_id="web", locations=("fra", "ams"), probe_interval=MINUTE)
API = Service(
    service_id="api",
    locations=("fra",),
    probe_interval=MINUTE,
    components=(
        Component(
            name="db",
            instances=(Instance(name="i0", zone="z0"), Instance(name="i1", zone="z1")),
        ),
    ),
)
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(severity="sev1", first_response=timedelta(hours=1)),
        ResponseTarget(severity="sev2", first_response=timedelta(hours=8)),
    ),
)


def line(line_id: str = "core", service: str = "web", fee: str = "1000.00") -> ContractLine:
    return ContractLine(line_id=line_id, service=service, monthly_fee=Decimal(fee), currency="EUR")


CONTRACT = Contract(
    contract_id="c1",
    customer="Initech",
    region="eu",
    starts_at=APRIL,
    lines=(line(), line("db", "api", "500.00")),
    support=TIER,
    exclusion_categories=("customer-caused",),
)


@dataclass(frozen=True)
class Ids:
    """What the world holds, for commands that refer to it."""

    incident: UUID
    open_incident: UUID
    announcement: UUID
    cancelled: UUID
    exclusion: UUID
    case: UUID
    resolved_case: UUID
    probe: str  # a recorded probe's id


def build(ledger: SlaLedger, clock: ManualClock) -> Ids:
    """Fill an empty ledger whose clock reads 2026-03-20."""
    ledger.register_service(WEB)
    ledger.register_service(API)
    ledger.sign_contract(CONTRACT)
    clock.set(datetime(2026, 3, 25, tzinfo=UTC))
    announcement = ledger.announce_maintenance(
        ["web"], APRIL + timedelta(days=5), APRIL + timedelta(days=5, hours=2), "upgrade"
    )
    cancelled = ledger.announce_maintenance(
        ["api"], APRIL + timedelta(days=6), APRIL + timedelta(days=6, hours=1), "move"
    )
    ledger.cancel_maintenance(cancelled, "not needed")
    clock.set(datetime(2026, 5, 1, 2, tzinfo=UTC))
    probes = [
        Probe(target, location, APRIL + hour * timedelta(hours=1), hour % 97 != 13)
        for hour in range(24 * 30 + 1)
        for target, location in (("web", "fra"), ("web", "ams"), ("api", "fra"))
    ]
    ledger.record_probes(probes)
    incident = ledger.declare_incident(
        ["web"], APRIL + timedelta(days=9), APRIL + timedelta(days=9, hours=1), "fire"
    )
    exclusion = ledger.exclude(
        "customer-caused",
        ["web"],
        APRIL + timedelta(days=20),
        APRIL + timedelta(days=20, hours=2),
        "their deploy",
        "ops",
    )
    ledger.close_due_months()
    clock.set(NOW - timedelta(hours=2))
    case = ledger.open_case("c1", "sev1", subject="down")
    resolved = ledger.open_case("c1", "sev2", subject="slow")
    ledger.respond(resolved, "looking")
    ledger.resolve_case(resolved, "fixed")
    open_incident = ledger.declare_incident(["api"], NOW - timedelta(hours=1), None, "db")
    clock.set(NOW)
    return Ids(
        incident=incident,
        open_incident=open_incident,
        announcement=announcement,
        cancelled=cancelled,
        exclusion=exclusion,
        case=case,
        resolved_case=resolved,
        probe=probes[0].probe_id,
    )


def build_at(url: str) -> Ids:
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    try:
        return build(ledger, clock)
    finally:
        ledger.close()


@dataclass(frozen=True)
class Template:
    """An SQLite file holding the world, and the ids in it."""

    path: Path
    ids: Ids
    directory: Path

    def copy_file(self, directory: Path) -> Path:
        """A copy of the world's SQLite file in ``directory``; the caller removes it."""
        target = directory / f"world-{next(_numbers)}.db"
        shutil.copy(self.path, target)
        return target

    @contextmanager
    def copy(self, verify: bool = True) -> Iterator[tuple[SlaLedger, ManualClock]]:
        """A fresh copy of the world in an SQLite file of its own, removed afterwards;
        unless ``verify`` is false, it must still verify by replay then."""
        target = self.copy_file(self.directory)
        clock = ManualClock(NOW)
        ledger = open_ledger(f"sqlite:///{target}", clock=clock)
        try:
            yield ledger, clock
            if verify:
                report = ledger.verify()
                assert report.ok, report.findings[:3]
        finally:
            ledger.close()
            for leftover in self.directory.glob(f"{target.name}*"):
                leftover.unlink()  # the file and SQLite's -wal and -shm


_numbers = itertools.count()
