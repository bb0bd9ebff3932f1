"""One statement from the ledger's state: R2-R10 for a contract line and month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.exclusions import apply_exclusions
from sla_ledger.domain.measure import (
    Figures,
    MaintenanceDecision,
    ServiceTimeline,
    exclude_maintenance,
    figures,
    outage_cause,
    service_timeline,
    truncated_percent,
)
from sla_ledger.domain.money import round_half_up
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.statement import (
    AbsorbedFailure,
    EventRef,
    ExclusionNote,
    MaintenanceWindow,
    Outage,
    Statement,
    TermsInForce,
)
from sla_ledger.domain.terms import Contract, ContractLine
from sla_ledger.domain.terms_hash import terms_in_force
from sla_ledger.domain.time import duration_us, from_us, month_bounds, to_us
from sla_ledger.domain.timeline import DOWN, UNKNOWN, Changes, filter_blips, intervals_of
from sla_ledger.exceptions import UnknownReference


@dataclass(frozen=True)
class Reckoning:
    """The steps from a contract line's terms to its month's figures (R2-R10)."""

    terms: Contract
    line: ContractLine
    start: int
    end: int
    active: list[iv.Interval]
    margin: int
    """``min_downtime`` in microseconds (R7)."""
    timeline: ServiceTimeline
    """The service before the blip filter, over a window wider than the month."""
    down: list[iv.Interval]
    """Down after the blip filter, clipped to the month (not yet to the active period)."""
    unknown: list[iv.Interval]
    excluded: list[iv.Interval]
    """Maintenance (R8) and applied exclusions (docs/rules.md), united."""
    decisions: list[MaintenanceDecision]
    result: Figures
    exclusions: tuple[ExclusionNote, ...] = ()
    """Every exclusion besides maintenance touching the active period, applied or not."""
    in_force: TermsInForce | None = None
    """The version and hash of ``terms`` (docs/rules.md, "Terms as data")."""
    maintenance: list[iv.Interval] = field(default_factory=list)
    """The part of ``excluded`` that maintenance excluded (R8)."""


@dataclass
class Reckoner:
    """Computes statements from a state, sharing service timelines between lines."""

    state: LedgerState
    now: int
    known_at: int = FOREVER
    until: int = FOREVER
    _timelines: dict[str, list[ServiceTimeline]] = field(default_factory=dict)
    _detections: dict[tuple[str, int, int], int | None] = field(default_factory=dict)

    def timeline(self, service_id: str, lo: int, hi: int) -> ServiceTimeline:
        """The service's timeline over at least ``[lo, hi)``, shared between statements.

        It is computed over a window two days wider on each side, so that one
        computation serves the same month in every time zone; a wider window
        only measures down periods at its edges more completely (R7).
        """
        cached = self._timelines.setdefault(service_id, [])
        for timeline in cached:
            if timeline.lo <= lo and timeline.hi >= hi:
                return timeline
        service = self.state.service_at(service_id, self.known_at)
        if service is None:
            raise UnknownReference(f"unknown service {service_id!r}")
        incidents = [
            interval
            for incident in self.state.incidents.values()
            if service_id in incident.services
            and (interval := incident.interval(self.known_at)) is not None
        ]
        evidence, known_at = self.state.evidence, self.known_at

        def views(target: str, location: str, start: int, stop: int) -> Changes | None:
            return evidence.view(target, location, start, stop, known_at)

        timeline = service_timeline(service, views, incidents, lo - _WIDEN, hi + _WIDEN)
        cached.append(timeline)
        return timeline

    def _outage(self, service_id: str, start: int, end: int, timeline: ServiceTimeline) -> Outage:
        detected = self._detected(service_id, start, end)
        return Outage(
            start=from_us(start),
            end=from_us(end),
            duration=_td(end - start),
            cause=outage_cause((start, end), timeline.incident_down),
            detected_at=None if detected is None else from_us(detected),
            detection_latency=None if detected is None else _td(detected - start),
        )

    def _detected(self, service_id: str, start: int, end: int) -> int | None:
        """When evidence of an outage was first recorded: a down probe or an incident."""
        key = (service_id, start, end)
        if key not in self._detections:
            self._detections[key] = self._first_evidence(service_id, start, end)
        return self._detections[key]

    def _first_evidence(self, service_id: str, start: int, end: int) -> int | None:
        service = self.state.service_at(service_id, self.known_at)
        assert service is not None
        staleness = duration_us(service.effective_staleness)
        times = [
            self.state.evidence.first_down_recorded(
                target, location, start - staleness, end, self.known_at
            )
            for target in service.targets()
            for location in service.locations
        ]
        times += [
            incident.declared_at
            for incident in self.state.incidents.values()
            if service_id in incident.services
            and (interval := incident.interval(self.known_at))
            and interval[0] < end
            and interval[1] > start
        ]
        known = [t for t in times if t is not None]
        return min(known) if known else None

    def reckon(self, contract_id: str, line_id: str, month: str) -> Reckoning:
        """Everything a statement is computed from, before it becomes a ``Statement``."""
        history = self.state.contracts.get(contract_id)
        if history is None or history.signed_at > self.known_at:
            raise UnknownReference(f"unknown contract {contract_id!r}")
        terms = history.terms_for(month, self.known_at)
        line = terms.line(line_id)
        if line is None:
            lines = ", ".join(repr(x.line_id) for x in terms.lines)
            raise UnknownReference(
                f"contract {contract_id!r} has no line {line_id!r} in {month}; its lines: {lines}"
            )
        start, end = month_bounds(month, terms.time_zone)
        # Month to date: measured up to ``until``, if that falls inside the month.
        active = iv.clip(
            [(start, end)],
            max(start, to_us(terms.starts_at)),
            min(end, history.ends_at(self.known_at), self.until),
        )
        margin = duration_us(terms.min_downtime)
        timeline = self.timeline(line.service, start - margin, end + margin)
        filtered = filter_blips(timeline.changes, margin, timeline.hi)
        down = iv.clip(intervals_of(filtered, DOWN, timeline.hi), start, end)
        unknown = iv.clip(intervals_of(filtered, UNKNOWN, timeline.hi), start, end)
        announcements = [
            a
            for h in self.state.maintenance.values()
            if line.service in h.services and (a := h.as_known_at(self.known_at)) is not None
        ]
        maintenance, decisions = exclude_maintenance(
            announcements,
            duration_us(terms.maintenance_notice),
            duration_us(terms.maintenance_cap),
            active,
        )
        excluded, exclusions = apply_exclusions(
            self.state.support.exclusions.values(),
            contract_id,
            terms,
            line.service,
            active,
            maintenance,
            self.known_at,
        )
        result = figures(
            line, (start, end), active, excluded, down, unknown, terms.unknown_counts_as
        )
        return Reckoning(
            terms=terms,
            line=line,
            start=start,
            end=end,
            active=active,
            margin=margin,
            timeline=timeline,
            down=down,
            unknown=unknown,
            excluded=excluded,
            decisions=decisions,
            result=result,
            exclusions=exclusions,
            in_force=terms_in_force(history, month, self.known_at),
            maintenance=maintenance,
        )

    def statement(
        self,
        contract_id: str,
        line_id: str,
        month: str,
        version: int = 1,
        changed_by: tuple[EventRef, ...] = (),
    ) -> Statement:
        r = self.reckon(contract_id, line_id, month)
        terms, line, start, end, margin = r.terms, r.line, r.start, r.end, r.margin
        active, excluded, down, timeline = r.active, r.excluded, r.down, r.timeline
        result, decisions = r.result, r.decisions
        eligible = iv.subtract(active, excluded)
        outages = [
            self._outage(line.service, a, b, timeline) for a, b in iv.intersect(down, eligible)
        ]
        absorbed = [
            AbsorbedFailure(
                target=x.target, zone=x.zone, start=from_us(a), end=from_us(b), duration=_td(b - a)
            )
            for x in timeline.absorbed
            for a, b in iv.clip([x.interval], start, end)
        ]
        maintenance = [
            MaintenanceWindow(
                announcement_id=d.announcement.announcement_id,
                start=from_us(d.announcement.start),
                end=from_us(d.announcement.end),
                recorded_at=from_us(d.announcement.recorded_at),
                lead=_td(d.announcement.start - d.announcement.recorded_at),
                status=d.status,
                excluded=_td(d.excluded),
            )
            for d in decisions
        ]
        corrections = tuple(
            t.ref
            for t in self.state.corrections.get(line.service, ())
            if t.recorded <= self.known_at and t.lo < end + margin and t.hi > start - margin
        )
        return Statement(
            contract_id=contract_id,
            line_id=line_id,
            service=line.service,
            customer=terms.customer,
            month=month,
            version=version,
            time_zone=terms.time_zone,
            period_start=from_us(start),
            period_end=from_us(end),
            month_length=_td(result.month_us),
            active=_td(result.active_us),
            excluded=_td(result.excluded_us),
            eligible=_td(result.eligible_us),
            down=_td(result.down_us),
            unknown=_td(result.unknown_us),
            unavailable=_td(result.unavailable_us),
            unknown_counts_as=terms.unknown_counts_as,
            availability=result.availability,
            availability_percent=truncated_percent(result.availability),
            target=line.target,
            met=result.met,
            credit_percent=result.credit_percent,
            base=round_half_up(result.base, line.currency),
            credit=result.credit,
            currency=line.currency,
            outages=tuple(outages),
            absorbed_failures=tuple(absorbed),
            maintenance=tuple(maintenance),
            corrections=corrections,
            changed_by=changed_by,
            log_position=self.state.position,
            known_at=from_us(min(self.known_at, self.now)),
            log_digest=self.state.digest,
            terms=r.in_force,
            exclusions=r.exclusions,
        )


_WIDEN = 2 * 86_400_000_000


def _td(us: int) -> timedelta:
    return timedelta(microseconds=us)
