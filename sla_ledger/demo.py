"""A realistic month of evidence, built through the public API (``sla-ledger demo``).

March 2026: three services probed every 30 s from fra, ams and lon, two
contracts in different time zones and currencies, and the things that happen
in a month (an outage, a failure redundancy absorbs, a disagreement quorum
settles, a blip, maintenance announced in time and late, a declared incident,
a monitoring gap). Knowledge time moves with the month: each simulated hour's
probes are recorded when the hour ends (a newly failing round at once), and a
scheduler closes due months every hour, so statements and credits appear
without anyone asking.

The figures each line must show are worked out in ``tests/cli/test_demo.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    CreditEntry,
    CreditTier,
    Instance,
    ManualClock,
    Probe,
    Service,
    SlaLedger,
    Statement,
)

MONTH = "2026-03"
LOCATIONS = ("fra", "ams", "lon")
INTERVAL = timedelta(seconds=30)
HOUR = timedelta(hours=1)
ALERT_DELAY = timedelta(seconds=5)
SIGNED_AT = datetime(2026, 2, 16, 9, tzinfo=UTC)
# Probes cover both contracts' months (Berlin starts 28 Feb 23:00 UTC, New York
# ends 1 Apr 04:00 UTC) with an hour to spare on each side.
FIRST_HOUR = datetime(2026, 2, 28, 22, tzinfo=UTC)
END = datetime(2026, 4, 1, 5, tzinfo=UTC)
CLOSE_AT = datetime(2026, 4, 1, 6, tzinfo=UTC)

Progress = Callable[[int, int], None]
"""Called after each recorded batch with (probes recorded so far, probes in total)."""


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant of March 2026 in UTC."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Fault:
    """What some locations see of a target over [start, end): down, or no probes at all."""

    target: str
    locations: tuple[str, ...]
    start: datetime
    end: datetime
    missing: bool = False

    def hits(self, target: str, location: str, lo: datetime, hi: datetime) -> bool:
        return (
            self.target == target
            and location in self.locations
            and self.start < hi
            and self.end > lo
        )


@dataclass(frozen=True)
class Happening:
    """One line of the demo's story: when, where, what, and what it should do to the figures."""

    at: datetime
    service: str
    what: str
    effect: str


FAULTS = (
    Fault("platform/db/db-b", LOCATIONS, utc(5, 2), utc(5, 4)),
    Fault("api", LOCATIONS, utc(12, 14, 3), utc(12, 14, 50)),
    Fault("platform/cache/cache-a", LOCATIONS, utc(14, 12), utc(14, 12, 10)),
    Fault("platform/cache/cache-b", LOCATIONS, utc(14, 12), utc(14, 12, 10)),
    Fault("api", ("lon",), utc(18, 9), utc(18, 9, 20)),
    Fault("api", LOCATIONS, utc(20, 11), utc(20, 11, 0, 30)),
    Fault("platform", LOCATIONS, utc(22, 1, 10), utc(22, 3, 15)),
    Fault("auth", LOCATIONS, utc(25, 3), utc(25, 3, 40)),
    Fault("auth", ("fra", "ams"), utc(27, 8), utc(27, 8, 10), missing=True),
)

STORY = (
    Happening(utc(5, 2), "platform", "db-b (zone b) down for 2 h", "absorbed: 2 of 3 db up"),
    Happening(
        utc(10, 16),
        "auth",
        "incident declared 16:05, resolved 16:30: logins failing 16:00-16:25, probes green",
        "25 min down (cause: incident)",
    ),
    Happening(utc(12, 14, 3), "api", "outage seen from all locations, 47 min", "47 min down"),
    Happening(
        utc(14, 12), "platform", "cache (non-critical) fully down, 10 min", "none: not critical"
    ),
    Happening(utc(15, 1), "platform", "maintenance announced for 22 Mar 01:00-03:00", "7 d notice"),
    Happening(utc(18, 9), "api", "lon alone sees api down, 20 min", "none: quorum says up"),
    Happening(utc(20, 11), "api", "blip seen from all locations, 30 s", "none: under 60 s"),
    Happening(
        utc(22, 1, 10),
        "platform",
        "down 01:10-03:15 for the announced maintenance",
        "2 h excluded; 15 min overrun counts",
    ),
    Happening(utc(24, 3), "auth", "maintenance announced for 25 Mar 03:00-04:00", "1 d: late"),
    Happening(utc(25, 3), "auth", "down 03:00-03:40 for the late maintenance", "40 min down"),
    Happening(
        utc(27, 8),
        "auth",
        "fra and ams send no probes for 10 min",
        "9 min unknown (stale after 90 s)",
    ),
)


def services() -> list[Service]:
    def instances(prefix: str, zones: str) -> tuple[Instance, ...]:
        return tuple(Instance(name=f"{prefix}-{z}", zone=z) for z in zones)

    platform = Service(
        service_id="platform",
        locations=LOCATIONS,
        probe_interval=INTERVAL,
        components=(
            Component(name="db", instances=instances("db", "abc"), min_healthy=2),
            Component(name="cache", instances=instances("cache", "ab"), critical=False),
        ),
    )
    simple = [
        Service(service_id=name, locations=LOCATIONS, probe_interval=INTERVAL)
        for name in ("api", "auth")
    ]
    return [platform, *simple]


def contracts() -> list[Contract]:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    eur = Contract(
        contract_id="acme-eu",
        customer="ACME GmbH",
        region="eu",
        time_zone="Europe/Berlin",
        starts_at=datetime(2026, 3, 1, tzinfo=berlin),
        lines=(
            ContractLine(
                line_id="platform",
                service="platform",
                monthly_fee=Decimal("8000.00"),
                currency="EUR",
                target=Decimal("99.95"),
            ),
            ContractLine(
                line_id="api", service="api", monthly_fee=Decimal("4000.00"), currency="EUR"
            ),
        ),
    )
    steep = tuple(
        CreditTier(below=Decimal(below), credit=Decimal(credit))
        for below, credit in (("99.95", "5"), ("99.5", "15"), ("99", "30"))
    )
    usd = Contract(
        contract_id="globex-us",
        customer="Globex Corp.",
        region="us",
        time_zone="America/New_York",
        starts_at=datetime(2026, 3, 1, tzinfo=new_york),
        lines=(
            ContractLine(
                line_id="api",
                service="api",
                monthly_fee=Decimal("3000.00"),
                currency="USD",
                target=Decimal("99.95"),
                credit_schedule=steep,
            ),
            ContractLine(
                line_id="auth", service="auth", monthly_fee=Decimal("1500.00"), currency="USD"
            ),
        ),
    )
    return [eur, usd]


@dataclass(frozen=True)
class DemoResult:
    """What the demo built: the issued statements and the credits feed."""

    statements: list[Statement]
    credits: list[CreditEntry]
    probes: int
    batches: int


def build_demo(
    ledger: SlaLedger, clock: ManualClock, progress: Progress | None = None
) -> DemoResult:
    """Record the demo month into an empty ledger whose clock is ``clock``; close it.

    Monitoring sends each hour's probes when the hour ends, and a round in which
    a probe newly fails at once (``ALERT_DELAY`` later), so outages are detected
    in seconds. Both contracts are one-month pilots (termination noticed at
    signing): a later ``close`` with the system clock bills no month without evidence.
    """
    clock.set(SIGNED_AT)
    _sign_up(ledger)
    targets = [t for s in services() for t in s.targets()]
    actions = _operator_actions(ledger)
    total, done, batches = expected_probes(targets), 0, 0
    hour = FIRST_HOUR
    while hour < END:
        for sent_at, batch in _batches(targets, hour):
            while actions and actions[0][0] <= sent_at:
                at, action = actions.pop(0)
                clock.set(at)
                action()
            clock.set(sent_at)
            done += ledger.record_probes(batch).recorded
            batches += 1
        ledger.close_due_months()  # what a scheduler would do: nobody asks for credits
        if progress:
            progress(done, total)
        hour += HOUR
    clock.set(CLOSE_AT)
    ledger.close_due_months()
    return DemoResult(ledger.statements(month=MONTH), ledger.credits(), done, batches)


def _sign_up(ledger: SlaLedger) -> None:
    for service in services():
        ledger.register_service(service)
    for contract in contracts():
        ledger.sign_contract(contract)
        pilot_end = datetime(2026, 4, 1, tzinfo=ZoneInfo(contract.time_zone))
        ledger.notice_termination(contract.contract_id, pilot_end)


def _batches(targets: list[str], hour: datetime) -> list[tuple[datetime, list[Probe]]]:
    """An hour's probes as monitoring sends them: ``(sent at, probes)``."""
    probes = _hour_probes(targets, hour)
    onsets = sorted({f.start for f in FAULTS if not f.missing and hour <= f.start < hour + HOUR})
    if not onsets:
        return [(hour + HOUR, probes)]
    batches, sent = [], hour - INTERVAL  # "sent" up to and including this instant
    for onset in onsets:
        batches.append((onset + ALERT_DELAY, [p for p in probes if sent < p.at <= onset]))
        sent = onset
    return [*batches, (hour + HOUR, [p for p in probes if p.at > sent])]


def is_demo(ledger: SlaLedger) -> bool:
    """Whether a store holds nothing but (part of) this demo."""
    contract_ids = {c.contract_id for c in contracts()}
    service_ids = {s.service_id for s in services()}
    return all(c.contract_id in contract_ids for c in ledger.contracts()) and all(
        s.service_id in service_ids for s in ledger.services()
    )


def _operator_actions(ledger: SlaLedger) -> list[tuple[datetime, Callable[[], object]]]:
    incident: list[UUID] = []
    return [
        (
            utc(10, 16, 5),
            lambda: incident.append(
                ledger.declare_incident(["auth"], utc(10, 16), reason="logins failing (EU IdP)")
            ),
        ),
        (utc(10, 16, 30), lambda: ledger.resolve_incident(incident[0], utc(10, 16, 25))),
        (
            utc(15, 1),
            lambda: ledger.announce_maintenance(
                ["platform"], utc(22, 1), utc(22, 3), reason="database major upgrade"
            ),
        ),
        (
            utc(24, 3),
            lambda: ledger.announce_maintenance(
                ["auth"], utc(25, 3), utc(25, 4), reason="certificate rotation"
            ),
        ),
    ]


def _hour_probes(targets: list[str], hour: datetime) -> list[Probe]:
    instants = [hour + INTERVAL * i for i in range(HOUR // INTERVAL)]
    probes: list[Probe] = []
    for target in targets:
        for location in LOCATIONS:
            faults = [f for f in FAULTS if f.hits(target, location, hour, hour + HOUR)]
            if not faults:
                probes.extend([Probe(target, location, at, True) for at in instants])
                continue
            for at in instants:
                now = [f for f in faults if f.start <= at < f.end]
                if not any(f.missing for f in now):
                    probes.append(Probe(target, location, at, not now))
    return probes


def expected_probes(targets: list[str]) -> int:
    """How many probes the demo records: every slot, less the monitoring gaps."""
    slots = (END - FIRST_HOUR) // INTERVAL
    missing = sum(len(f.locations) * -(-(f.end - f.start) // INTERVAL) for f in FAULTS if f.missing)
    return slots * len(targets) * len(LOCATIONS) - missing
