"""Draw SPEC's worked examples as SVG timelines into docs/img/, from the library itself.

Each example is built through the public API (a ledger in memory, probes, a
close) and drawn from the probes it recorded and the statement the close
issued: outages, maintenance, absorbed failures and figures all come from the
statement, so the pictures stay true to the code. The drawing is in
``timeline_svg.py`` beside this file.

Run after changing the rules or the drawing: ``.venv/bin/python
scripts/doc_pictures.py``; a test fails while the committed files differ from
what this script writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    Instance,
    Probe,
    Service,
    Statement,
)
from sla_ledger.testing import memory_ledger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timeline_svg import Picture, draw

ROOT = Path(__file__).resolve().parent.parent
IMG_DIR = ROOT / "docs" / "img"
LOCATIONS = ("fra", "ams", "lon")
EVERY = timedelta(minutes=5)
APRIL, MAY = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
API = Service(service_id="api", locations=LOCATIONS, probe_interval=EVERY)
Window = tuple[datetime, datetime]
Down = Callable[[str, str, datetime], bool]


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def probes(
    start: datetime, end: datetime, down: Down, targets: Sequence[str] = ("api",)
) -> list[Probe]:
    """Every target probed from every location every 5 minutes, down where ``down`` says."""
    instants = [start + EVERY * k for k in range((end - start) // EVERY)]
    return [
        Probe(target, location, t, not down(target, location, t))
        for t in instants
        for target in targets
        for location in LOCATIONS
    ]


def during(*windows: Window, where: Sequence[str] = LOCATIONS, target: str = "api") -> Down:
    """Down inside ``windows``, seen from the locations ``where``, for ``target``."""
    return lambda t_, loc, t: t_ == target and loc in where and any(a <= t < b for a, b in windows)


def statement(
    evidence: list[Probe],
    *,
    service: Service = API,
    time_zone: str = "UTC",
    starts_at: datetime = APRIL,
    month: str = "2026-04",
    announce: tuple[timedelta, Window] | None = None,
) -> Statement:
    """Register ``service``, sign a contract (1,000.00 EUR, target 99.9 %, default terms),
    announce maintenance (notice, window) if asked, record ``evidence``, close the month."""
    ledger, clock = memory_ledger(datetime(2026, 2, 1, tzinfo=UTC))
    ledger.register_service(service)
    line = ContractLine(
        line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR"
    )
    ledger.sign_contract(
        Contract(
            contract_id="acme",
            customer="ACME",
            region="eu",
            time_zone=time_zone,
            starts_at=starts_at,
            lines=(line,),
        )
    )
    if announce:
        notice, (start, end) = announce
        clock.set(start - notice)
        ledger.announce_maintenance(["api"], start, end, reason="database upgrade")
    clock.set(max(p.at for p in evidence))  # monitoring sends probes after they happen
    ledger.record_probes(evidence)
    clock.set(clock.now() + timedelta(hours=2))  # past the month's end and its hour of grace
    ledger.close_due_months()
    issued = ledger.statement_for("acme", "core", month)
    assert issued is not None and issued.unknown == timedelta(0), issued
    return issued


def april_outage() -> Picture:
    outage = (at(10, 12), at(10, 12, 45))
    evidence = probes(APRIL, MAY, during(outage))
    return Picture(
        "april-outage",
        "April 2026, UTC (720 h): one 45-minute outage",
        statement(evidence),
        evidence,
        (at(10, 11), at(10, 14)),
    )


def march_berlin() -> Picture:
    start, end = at(28, 23, month=2), at(31, 22, month=3)  # local midnights, CET and CEST
    outage = (at(12, 9, month=3), at(12, 9, 45, month=3))
    evidence = probes(start, end, during(outage))
    return Picture(
        "march-berlin",
        "March 2026, Europe/Berlin (743 h): one 45-minute outage",
        statement(evidence, time_zone="Europe/Berlin", starts_at=start, month="2026-03"),
        evidence,
        (at(12, 8, month=3), at(12, 11, month=3)),
        ("The month runs from local midnight to local midnight: clocks go forward on 29 March.",),
    )


def exactly_at_target() -> Picture:
    outage, stop = (at(10, 12), at(10, 12, 45)), at(10, 12, 43, 12)
    evidence = probes(APRIL, MAY, during(outage))
    evidence += [Probe("api", location, stop, True) for location in LOCATIONS]
    return Picture(
        "exactly-at-target",
        "April 2026, UTC: 43 min 12 s down is exactly 99.9 %",
        statement(evidence),
        evidence,
        (at(10, 11, 30), at(10, 13, 30)),
        ("Up probes at 12:43:12 end the outage. 99.9 % is not strictly below 99.9 %: no credit.",),
    )


def blip() -> Picture:
    evidence = probes(APRIL, MAY, during())
    evidence += [Probe("api", location, at(10, 12, 1), False) for location in LOCATIONS]
    evidence += [Probe("api", location, at(10, 12, 1, 59), True) for location in LOCATIONS]
    return Picture(
        "blip",
        "April 2026, UTC: a 59-second blip",
        statement(evidence),
        evidence,
        (at(10, 11, 50), at(10, 12, 15)),
        (
            "Every location saw 59 s down (12:01:00 to 12:01:59), shorter than min_downtime "
            "(60 s): it counts as up.",
        ),
    )


def maintenance(days: int) -> Picture:
    window = (at(20, 2), at(20, 4))
    evidence = probes(APRIL, MAY, during(window))
    verdict = "late, the outage counts" if days < 5 else "it qualifies and is excluded"
    return Picture(
        f"maintenance-{days}-days",
        f"Maintenance announced {days} days ahead: {verdict}",
        statement(evidence, announce=(timedelta(days=days), window)),
        evidence,
        (at(20, 1), at(20, 5)),
        (
            f"The 2 h window was announced on {window[0] - timedelta(days=days):%d %B %H:%M}; "
            "the contract asks for 5 days of notice.",
        ),
    )


def quorum() -> Picture:
    lon_alone = during((at(10, 11), at(10, 12)), where=("lon",))
    two = during((at(10, 12, 30), at(10, 13, 15)), where=("fra", "ams"))
    evidence = probes(APRIL, MAY, lambda *probe: lon_alone(*probe) or two(*probe))
    return Picture(
        "quorum",
        "Quorum: a majority of the 3 locations must see down",
        statement(evidence),
        evidence,
        (at(10, 10, 30), at(10, 14)),
        (
            "lon alone saw down from 11:00 to 12:00: 1 view of 3 is no quorum, the service is up. "
            "fra and ams from 12:30: 2 of 3.",
        ),
    )


def redundancy() -> Picture:
    db = Component(
        name="db", instances=(Instance(name="db-1", zone="a"), Instance(name="db-2", zone="b"))
    )
    service = Service(service_id="api", locations=LOCATIONS, probe_interval=EVERY, components=(db,))
    targets = service.targets()
    evidence = probes(
        APRIL, MAY, during((at(10, 12), at(10, 12, 45)), target="api/db/db-1"), targets
    )
    return Picture(
        "redundancy",
        "Redundancy: an instance failure absorbed",
        statement(evidence, service=service),
        evidence,
        (at(10, 11), at(10, 14)),
        (
            "Component db needs 1 healthy instance of 2 (min_healthy 1): "
            "while db-1 was down, db-2 kept it up.",
        ),
    )


EXAMPLES: tuple[Callable[[], Picture], ...] = (
    april_outage,
    march_berlin,
    exactly_at_target,
    blip,
    lambda: maintenance(4),
    lambda: maintenance(5),
    quorum,
    redundancy,
)


def rendered() -> dict[str, str]:
    """File name -> SVG text of every picture."""
    pictures = [build() for build in EXAMPLES]
    return {f"{picture.name}.svg": draw(picture) for picture in pictures}


def main() -> int:
    files = rendered()
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (IMG_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} pictures to {IMG_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
