"""Replays a generated ``Case`` into a real ledger through the public API only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    CreditTier,
    Instance,
    ManualClock,
    Probe,
    Service,
    open_ledger,
)
from tests.property.brute_force import (
    AnnouncementSpec,
    ContractSpec,
    Figures,
    ProbeSpec,
    RescheduleSpec,
    ServiceSpec,
)
from tests.property.strategies import OTHER_SERVICE, Case

FIGURE_FIELDS = (
    "month_us",
    "active_us",
    "excluded_us",
    "eligible_us",
    "down_us",
    "unknown_us",
    "unavailable_us",
    "availability",
    "met",
    "credit_percent",
    "credit",
)


def to_service(spec: ServiceSpec) -> Service:
    return Service(
        service_id=spec.service_id,
        locations=spec.locations,
        probe_interval=spec.probe_interval,
        staleness=spec.staleness,
        quorum=spec.quorum,
        endpoint=spec.endpoint,
        components=tuple(
            Component(
                name=c.name,
                critical=c.critical,
                min_healthy=c.min_healthy,
                instances=tuple(Instance(name=i, zone=f"z{k}") for k, i in enumerate(c.instances)),
            )
            for c in spec.components
        ),
    )


def to_probe(p: ProbeSpec) -> Probe:
    return Probe(target=p.target, location=p.location, at=p.at, ok=p.ok)


def to_contract(
    spec: ContractSpec,
    contract_id: str = "c1",
    line_id: str = "core",
    service: str = "api",
    **terms,
) -> Contract:
    return Contract(
        contract_id=contract_id,
        customer="ACME",
        region="eu",
        time_zone=spec.time_zone,
        starts_at=spec.starts_at,
        lines=(
            ContractLine(
                line_id=line_id,
                service=service,
                monthly_fee=spec.monthly_fee,
                currency=spec.currency,
                target=spec.target,
                credit_schedule=tuple(CreditTier(below=b, credit=c) for b, c in spec.tiers),
                max_credit=spec.max_credit,
                minimum_credit=spec.minimum_credit,
            ),
        ),
        maintenance_notice=spec.maintenance_notice,
        maintenance_cap=spec.maintenance_cap,
        min_downtime=spec.min_downtime,
        unknown_counts_as=spec.unknown_counts_as,  # type: ignore[arg-type]
        **terms,
    )


def replay(case: Case):
    """A memory ledger holding the case's evidence, recorded at the case's times."""
    scn = case.scenario
    clock = ManualClock(case.sign_at)
    ledger = open_ledger("memory://", clock=clock)
    ledger.register_service(to_service(scn.service))
    other = ServiceSpec(OTHER_SERVICE, scn.service.locations, scn.service.probe_interval)
    ledger.register_service(to_service(other))
    ledger.sign_contract(to_contract(scn.contract, notice_period=case.notice_period))
    if scn.contract.ends_at is not None:
        ledger.notice_termination("c1", ends_at=scn.contract.ends_at)

    # (when, order at one instant, announcement index, new window or None to cancel)
    actions: list[tuple[datetime, int, int, AnnouncementSpec | RescheduleSpec | None]] = []
    for i, ann in enumerate(scn.announcements):
        actions.append((ann.recorded_at, 0, i, ann))
        actions += [(r.recorded_at, 1, i, r) for r in ann.reschedules]
        cancel_at = case.cancel_at[i]
        if cancel_at is not None:
            actions.append((cancel_at, 2, i, None))
    ids: dict[int, Any] = {}
    for when, _, i, item in sorted(actions, key=lambda a: (a[0], a[1])):
        clock.set(when)
        if isinstance(item, AnnouncementSpec):
            ids[i] = ledger.announce_maintenance(
                services=list(item.services), start=item.start, end=item.end, reason="planned"
            )
        elif isinstance(item, RescheduleSpec):
            ledger.reschedule_maintenance(ids[i], start=item.start, end=item.end)
        else:
            ledger.cancel_maintenance(ids[i], reason="called off")

    clock.set(case.settle_at)
    if scn.probes:
        ledger.record_probes([to_probe(p) for p in scn.probes])
    for inc, later in zip(scn.incidents, case.resolve_later, strict=True):
        incident_id = ledger.declare_incident(
            services=list(inc.services),
            start=inc.start,
            end=None if later else inc.end,
            reason="outage",
        )
        if later and inc.end is not None:
            ledger.resolve_incident(incident_id, end=inc.end)
    if scn.invalidated:
        dead = [to_probe(p) for p in scn.probes if p.key in scn.invalidated]
        ledger.invalidate_probes(dead, reason="broken probe location")
    return ledger, clock


def figures_of(statement) -> dict:
    return {name: getattr(statement, name) for name in FIGURE_FIELDS}


def expected_of(fig: Figures) -> dict:
    return {name: getattr(fig, name) for name in FIGURE_FIELDS}


def describe_case(case: Case) -> str:
    scn = case.scenario
    lines = [
        f"month={case.month} tick={case.tick} contract={scn.contract}",
        f"service={scn.service}",
    ]
    incidents = zip(scn.incidents, case.resolve_later, strict=True)
    lines += [f"incident {i} (resolve_later={r})" for i, r in incidents]
    announcements = zip(scn.announcements, case.cancel_at, strict=True)
    lines += [f"announcement {a} cancel_at={c}" for a, c in announcements]
    lines += [f"invalidated {sorted(scn.invalidated)}"]
    lines += [
        f"probe {p.target} {p.location} {p.at.isoformat()} {'ok' if p.ok else 'DOWN'}"
        for p in sorted(scn.probes, key=lambda p: (p.target, p.location, p.at))
    ]
    return "\n".join(lines)
