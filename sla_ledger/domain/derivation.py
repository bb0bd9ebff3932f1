"""The derivation of one statement from a ledger's state (``explain``), as a pure fold.

It reuses the statement's own computation (``Reckoner.reckon``) and adds,
for each figure, the evidence and the arithmetic behind it; then checks that
what it derived is what the statement says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.attribution import (
    IncidentSpan,
    Witness,
    counted_targets,
    instance_edge,
    service_edge,
)
from sla_ledger.domain.citations import Catalogue, ReadBatch
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.explanation import (
    AbsorbedExplained,
    Blip,
    Correction,
    Discrepancy,
    Explanation,
    IncidentFacts,
    Period,
    ServiceFacts,
)
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.reckoning import Reckoner, Reckoning
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.terms import Service
from sla_ledger.domain.time import from_us
from sla_ledger.domain.timeline import DOWN, UNKNOWN, filter_blips, intervals_of
from sla_ledger.domain.workings import arithmetic, maintenance_summary
from sla_ledger.exceptions import UnknownReference


@dataclass(frozen=True)
class Request:
    """Which statement to explain, and from what knowledge.

    Args:
        issued: the issued version to explain (its ``version`` and ``changed_by``
            are reproduced); None to explain figures not issued.
        now: the instant the figures are computed at (an issued statement's ``known_at``).
        known_at: use only events recorded by then (R14); until: measure up to it.
    """

    contract_id: str
    line_id: str
    month: str
    issued: Statement | None
    now: int
    known_at: int = FOREVER
    until: int = FOREVER
    as_known_at: int | None = None


def explain_statement(
    state: LedgerState, catalogue: Catalogue, read: ReadBatch, request: Request
) -> Explanation:
    """The derivation of one statement from ``state`` and the citations in ``catalogue``."""
    r = request
    reckoner = Reckoner(state, r.now, r.known_at, r.until)
    reckoning = reckoner.reckon(r.contract_id, r.line_id, r.month)
    version, changed_by = (r.issued.version, r.issued.changed_by) if r.issued else (1, ())
    derived = reckoner.statement(r.contract_id, r.line_id, r.month, version, changed_by)
    service = state.service_at(reckoning.line.service, r.known_at)
    if service is None:
        raise UnknownReference(f"unknown service {reckoning.line.service!r}")
    witness = Witness(state, catalogue, read, r.known_at, service, _incidents(state, service, r))
    statement = r.issued or derived
    periods = _periods(witness, reckoning)
    active = reckoning.active
    explanation = Explanation(
        contract_id=r.contract_id,
        line_id=r.line_id,
        month=r.month,
        customer=reckoning.terms.customer,
        time_zone=reckoning.terms.time_zone,
        issued=r.issued is not None,
        version=r.issued.version if r.issued else None,
        as_known_at=None if r.as_known_at is None else from_us(r.as_known_at),
        log_position=r.issued.log_position if r.issued else state.position,
        log_digest=statement.log_digest,
        replayed_to=state.position,
        statement=statement,
        service=_facts(service),
        period_start=from_us(reckoning.start),
        period_end=from_us(reckoning.end),
        active_from=from_us(active[0][0]) if active else None,
        active_until=from_us(active[-1][1]) if active else None,
        min_downtime=reckoning.terms.min_downtime,
        periods=tuple(periods),
        absorbed=tuple(_absorbed(witness, reckoning)),
        blips=tuple(_blips(witness, reckoning)),
        incidents=tuple(_incident_facts(witness, reckoning)),
        maintenance=maintenance_summary(reckoning, catalogue, r.known_at),
        corrections=tuple(_corrections(witness, derived)),
        arithmetic=arithmetic(reckoning),
    )
    found = tuple(discrepancies(explanation, derived))
    return explanation.model_copy(update={"consistent": not found, "discrepancies": found})


def _incidents(state: LedgerState, service: Service, r: Request) -> list[IncidentSpan]:
    return [
        IncidentSpan(incident_id, *interval)
        for incident_id, incident in state.incidents.items()
        if service.service_id in incident.services
        and (interval := incident.interval(r.known_at)) is not None
    ]


def _facts(service: Service) -> ServiceFacts:
    return ServiceFacts(
        service_id=service.service_id,
        locations=service.locations,
        probe_interval=service.probe_interval,
        staleness=service.effective_staleness,
        quorum=service.effective_quorum,
        targets=tuple(service.targets()),
    )


def _periods(w: Witness, k: Reckoning) -> list[Period]:
    lo, hi = k.timeline.lo, k.timeline.hi
    filtered = filter_blips(k.timeline.changes, k.margin, hi)
    eligible = iv.subtract(k.active, k.excluded)
    periods = []
    for state, name in ((DOWN, "down"), (UNKNOWN, "unknown")):
        for start, end in intervals_of(filtered, state, hi):
            active = iv.clip(k.active, start, end)
            if not active:
                continue
            counted = iv.total(iv.clip(eligible, start, end))
            periods.append(
                Period(
                    state=name,  # type: ignore[arg-type]  # one of the two names
                    start=from_us(start),
                    end=from_us(end),
                    duration=_td(end - start),
                    active=_td(iv.total(active)),
                    excluded=_td(iv.total(active) - counted),
                    counted=_td(counted),
                    opened_by=service_edge(w, start, lo, hi),
                    closed_by=service_edge(w, end, lo, hi),
                    corrections=tuple(
                        w.invalidations(counted_targets(w.service), start - w.staleness, end)
                    ),
                )
            )
    return sorted(periods, key=lambda p: p.start)


def _absorbed(w: Witness, k: Reckoning) -> list[AbsorbedExplained]:
    out = []
    components = {c.name: c for c in w.service.components}
    for absorbed in k.timeline.absorbed:
        if not iv.clip([absorbed.interval], k.start, k.end):
            continue  # the statement shows the failures that touch the month
        start, end = absorbed.interval
        component = components[absorbed.target.split("/")[1]]
        out.append(
            AbsorbedExplained(
                target=absorbed.target,
                component=component.name,
                zone=absorbed.zone,
                start=from_us(start),
                end=from_us(end),
                duration=_td(end - start),
                opened_by=instance_edge(w, absorbed.target, component, start),
                closed_by=instance_edge(w, absorbed.target, component, end),
            )
        )
    return sorted(out, key=lambda a: (a.start, a.target))


def _blips(w: Witness, k: Reckoning) -> list[Blip]:
    lo, hi = k.timeline.lo, k.timeline.hi
    return [
        Blip(
            start=from_us(start),
            end=from_us(end),
            duration=_td(end - start),
            opened_by=service_edge(w, start, lo, hi),
            closed_by=service_edge(w, end, lo, hi),
        )
        for start, end in intervals_of(k.timeline.changes, DOWN, hi)
        if end - start < k.margin and iv.clip(k.active, start, end)
    ]


def _incident_facts(w: Witness, k: Reckoning) -> list[IncidentFacts]:
    facts = []
    for span in sorted(w.incidents, key=lambda s: (s.start, str(s.incident_id))):
        if span.start < k.end + k.margin and span.end > k.start - k.margin:
            record = w.catalogue.incidents[span.incident_id]
            facts.append(
                IncidentFacts(
                    incident_id=span.incident_id,
                    reason=record.reason,
                    start=from_us(span.start),
                    end=None if span.end >= FOREVER else from_us(span.end),
                    declared=record.declared,
                    resolutions=tuple(e for t, e in record.resolutions if t <= w.known_at),
                )
            )
    return facts


def _corrections(w: Witness, derived: Statement) -> list[Correction]:
    targets = set(w.service.targets())
    out = []
    for event in derived.corrections:
        record = w.catalogue.corrections[event.originator_id]
        probes = [
            w.catalogue.cite_id(text, w.read)
            for text in record.probe_ids
            if text.split("@")[0] in targets
        ]
        out.append(
            Correction(
                correction=record.event,
                position=record.position,
                reason=record.reason,
                probes=tuple(sorted(probes, key=lambda p: (p.at, p.target, p.location))),
            )
        )
    return out


def discrepancies(explanation: Explanation, derived: Statement) -> list[Discrepancy]:
    """Where the derivation does not reproduce the statement explained."""
    s, a = explanation.statement, explanation.arithmetic
    found = []
    sums = {
        "down": sum((p.counted for p in explanation.periods if p.state == "down"), _td(0)),
        "unknown": sum((p.counted for p in explanation.periods if p.state == "unknown"), _td(0)),
    }
    for name, value in sums.items():
        if value != getattr(s, name):
            found.append(_differ(f"{name} (sum of periods)", getattr(s, name), value))
    for name in _ARITHMETIC_FIELDS:
        if getattr(a, name) != getattr(s, name):
            found.append(_differ(f"{name} (arithmetic)", getattr(s, name), getattr(a, name)))
    if explanation.issued:
        issued = s.model_dump(mode="json")
        again = derived.model_dump(mode="json")
        for name in issued.keys() - _NOT_COMPARED:
            if issued[name] != again.get(name):
                found.append(_differ(name, issued[name], again.get(name)))
    return sorted(found, key=lambda d: d.field)


_ARITHMETIC_FIELDS = (
    "active",
    "excluded",
    "eligible",
    "down",
    "unknown",
    "unavailable",
    "availability",
    "availability_percent",
    "met",
    "credit_percent",
    "base",
    "credit",
)
# The position a statement was computed at is in the numbering of the store that
# issued it, and an imported log may be renumbered; its digest says the same portably.
_NOT_COMPARED = frozenset({"log_position"})


def _differ(name: str, issued: object, derived: object) -> Discrepancy:
    return Discrepancy(field=name, issued=_text(issued), derived=_text(derived))


def _text(value: object) -> str:
    if isinstance(value, timedelta):
        return f"{value // timedelta(microseconds=1)} us"
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return str(value)


def _td(us: int) -> timedelta:
    return timedelta(microseconds=us)
