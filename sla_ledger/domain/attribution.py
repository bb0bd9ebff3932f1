"""Which evidence changed a state at an instant: the edges of an explanation.

A state changes only where an input does (R3-R5): a location's view at a
probe instant or a staleness expiry, an incident at its bounds. An edge is
found by evaluating the same rules as the timeline (``measure``,
``timeline``) just before and at the instant, and citing each input that
changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.citations import Catalogue, ReadBatch
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.explanation import (
    ComponentChange,
    Edge,
    Evidence,
    IncidentEvidence,
    InvalidationEvidence,
    ProbeCitation,
    ProbeEvidence,
    SilenceEvidence,
    StalenessEvidence,
    StateName,
    TargetChange,
)
from sla_ledger.domain.measure import service_timeline
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.terms import Component, Service, instance_target
from sla_ledger.domain.time import duration_us, from_us
from sla_ledger.domain.timeline import DOWN, UNKNOWN, UP, Changes, component_rule, quorum_rule

NAMES: dict[int, StateName] = {UP: "up", DOWN: "down", UNKNOWN: "unknown"}


@dataclass(frozen=True)
class IncidentSpan:
    incident_id: UUID
    start: int
    end: int  # FOREVER while open


@dataclass
class Witness:
    """A service's evidence as known at ``known_at``, and how to cite it."""

    state: LedgerState
    catalogue: Catalogue
    read: ReadBatch
    known_at: int
    service: Service
    incidents: list[IncidentSpan]

    @property
    def staleness(self) -> int:
        return duration_us(self.service.effective_staleness)

    def view(self, target: str, location: str, lo: int, hi: int) -> Changes | None:
        return self.state.evidence.view(target, location, lo, hi, self.known_at)

    def cite(self, target: str, location: str, at: int, ok: bool) -> ProbeCitation:
        return self.catalogue.cite(target, location, at, ok, self.read)

    def around(self, target: str, location: str, instant: int) -> tuple[int, int]:
        """A location's view just before ``instant`` and at it."""
        changes = self.view(target, location, instant - 1, instant + 1)
        if changes is None:
            return UNKNOWN, UNKNOWN
        return changes[0][1], changes[-1][1]

    def incident_evidence(self, span: IncidentSpan, edge: str) -> IncidentEvidence:
        record = self.catalogue.incidents[span.incident_id]
        resolved = [e for recorded, e in record.resolutions if recorded <= self.known_at]
        return IncidentEvidence.model_validate(
            {
                "edge": edge,
                "incident_id": span.incident_id,
                "reason": record.reason,
                "start": from_us(span.start),
                "end": None if span.end >= FOREVER else from_us(span.end),
                "declared": record.declared,
                "resolved": resolved[-1] if resolved else None,
            }
        )

    def invalidations(self, targets: Sequence[str], lo: int, hi: int) -> list[InvalidationEvidence]:
        """Probes of ``targets`` in ``[lo, hi)`` that corrections removed (R6)."""
        found = []
        for target in targets:
            for location in self.service.locations:
                for at, ok in self.state.evidence.invalidated(
                    target, location, lo, hi, self.known_at
                ):
                    probe = self.cite(target, location, at, ok)
                    record = self.catalogue.correction_of(probe.probe_id, self.known_at)
                    if record is not None:
                        found.append(
                            InvalidationEvidence(
                                correction=record.event,
                                position=record.position,
                                reason=record.reason,
                                probe=probe,
                            )
                        )
        return sorted(found, key=lambda x: (x.probe.at, x.probe.target, x.probe.location))


def counted_targets(service: Service) -> list[str]:
    """The targets whose state can change the service's: its endpoint and the
    instances of its critical components (R4)."""
    own = [service.service_id] if service.endpoint else []
    return own + [
        instance_target(service.service_id, c.name, i.name)
        for c in service.components
        if c.critical
        for i in c.instances
    ]


def service_edge(w: Witness, instant: int, lo: int, hi: int) -> Edge:
    """Why the service's state (before the blip filter) changed at ``instant``."""
    if instant >= hi:
        return Edge(at=from_us(hi), before=NAMES[_service_state(w, hi - 1)], after=None)
    targets = counted_targets(w.service)
    components = [c for c in w.service.components if c.critical]
    if instant <= lo:
        return _in_force(w, lo, targets, components)
    return _edge(
        w, instant, _service_state(w, instant - 1), _service_state(w, instant), targets, components
    )


def instance_edge(w: Witness, target: str, component: Component, instant: int) -> Edge:
    """Why an instance (``target``) went down or up at ``instant`` (R4)."""
    before, after = _target_states(w, target, instant)
    return _edge(w, instant, before, after, [target], [component], with_incidents=False)


def _service_state(w: Witness, instant: int) -> int:
    intervals = [(s.start, s.end) for s in w.incidents]
    timeline = service_timeline(w.service, w.view, intervals, instant, instant + 1)
    return timeline.changes[0][1]


def _edge(
    w: Witness,
    instant: int,
    before: int,
    after: int,
    targets: list[str],
    components: list[Component],
    with_incidents: bool = True,
) -> Edge:
    changes: list[TargetChange] = []
    evidence: list[Evidence] = []
    for target in targets:
        change = _target_change(w, target, instant)
        if change.before != change.after:
            changes.append(change)
            evidence += _view_flips(w, target, instant)
    if with_incidents:
        evidence += _incident_flips(w, instant)
    return Edge(
        at=from_us(instant),
        before=NAMES[before],
        after=NAMES[after],
        targets=tuple(changes),
        components=tuple(
            c for c in (_component_change(w, x, instant) for x in components) if c.before != c.after
        ),
        evidence=tuple(evidence),
    )


def _in_force(w: Witness, lo: int, targets: list[str], components: list[Component]) -> Edge:
    """The state at the start of the computed window, and what it rested on."""
    evidence: list[Evidence] = []
    for target in targets:
        for location in w.service.locations:
            evidence.append(_standing(w, target, location, lo))
    evidence += [w.incident_evidence(s, "in force") for s in w.incidents if s.start <= lo < s.end]
    changes = [_target_change(w, t, lo) for t in targets]
    return Edge(
        at=from_us(lo),
        before=None,
        after=NAMES[_service_state(w, lo)],
        targets=tuple(c.model_copy(update={"before": None}) for c in changes),
        components=tuple(
            _component_change(w, c, lo).model_copy(update={"before": None}) for c in components
        ),
        evidence=tuple(evidence),
    )


def _standing(w: Witness, target: str, location: str, instant: int) -> Evidence:
    """What a location's view at ``instant`` rests on."""
    probe = w.state.evidence.deciding_probe(target, location, instant, w.known_at)
    if probe is None:
        return SilenceEvidence(target=target, location=location)
    at, ok = probe
    cited = w.cite(target, location, at, ok)
    if at + w.staleness <= instant:
        return StalenessEvidence.model_validate(
            {
                "target": target,
                "location": location,
                "expired_at": from_us(at + w.staleness),
                "staleness": w.service.effective_staleness,
                "last_probe": cited,
            }
        )
    return ProbeEvidence(target=target, location=location, view="up" if ok else "down", probe=cited)


def _view_flips(w: Witness, target: str, instant: int) -> list[Evidence]:
    return [
        _standing(w, target, location, instant)
        for location in w.service.locations
        if len(set(w.around(target, location, instant))) == 2
    ]


def _incident_flips(w: Witness, instant: int) -> list[Evidence]:
    union = iv.union((s.start, s.end) for s in w.incidents)
    before = any(a <= instant - 1 < b for a, b in union)
    after = any(a <= instant < b for a, b in union)
    if before == after:
        return []
    if after:
        return [w.incident_evidence(s, "start") for s in w.incidents if s.start == instant]
    return [w.incident_evidence(s, "end") for s in w.incidents if s.end == instant]


def _target_states(w: Witness, target: str, instant: int) -> tuple[int, int]:
    views = [w.around(target, location, instant) for location in w.service.locations]
    rule = quorum_rule(w.service.effective_quorum)
    return rule([v[0] for v in views]), rule([v[1] for v in views])


def _target_change(w: Witness, target: str, instant: int) -> TargetChange:
    after_views = [w.around(target, loc, instant)[1] for loc in w.service.locations]
    before, after = _target_states(w, target, instant)
    return TargetChange(
        target=target,
        before=NAMES[before],
        after=NAMES[after],
        views_up=after_views.count(UP),
        views_down=after_views.count(DOWN),
        views_unknown=after_views.count(UNKNOWN),
        quorum=w.service.effective_quorum,
    )


def _component_change(w: Witness, component: Component, instant: int) -> ComponentChange:
    states = [
        _target_states(w, instance_target(w.service.service_id, component.name, i.name), instant)
        for i in component.instances
    ]
    rule = component_rule(component.min_healthy)
    after = [s[1] for s in states]
    return ComponentChange(
        component=component.name,
        critical=component.critical,
        before=NAMES[rule([s[0] for s in states])],
        after=NAMES[rule(after)],
        instances_up=after.count(UP),
        instances_down=after.count(DOWN),
        instances_unknown=after.count(UNKNOWN),
        min_healthy=component.min_healthy,
    )
