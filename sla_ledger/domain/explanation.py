"""The derivation of one statement, evidence by evidence (``sla-ledger explain``).

An ``Explanation`` is a value like ``Statement``: frozen, exact, and JSON with
durations as decimal seconds, money and percentages as decimal strings and
fractions as ``"numerator/denominator"``. Every piece of evidence it cites
names the event that holds it, so that an auditor can find it in the log.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from sla_ledger.domain.citations import (
    Evidence,
    IncidentEvidence,
    InvalidationEvidence,
    MaintenanceStep,
    ProbeCitation,
    ProbeEvidence,
    SilenceEvidence,
    StalenessEvidence,
    StateName,
    _Frozen,
)
from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import EventRef, LogDigest, MaintenanceStatus, Statement
from sla_ledger.domain.values import Duration, Exact, ExactFraction, Instant

__all__ = [
    "AbsorbedExplained",
    "Arithmetic",
    "Blip",
    "ComponentChange",
    "Correction",
    "Discrepancy",
    "Edge",
    "Evidence",
    "Explanation",
    "IncidentEvidence",
    "IncidentFacts",
    "InvalidationEvidence",
    "MaintenanceExplained",
    "MaintenanceStep",
    "MaintenanceSummary",
    "Period",
    "ProbeCitation",
    "ProbeEvidence",
    "ServiceFacts",
    "SilenceEvidence",
    "StalenessEvidence",
    "StateName",
    "TargetChange",
    "TierCheck",
]


class TargetChange(_Frozen):
    """A target's state by quorum of its locations' views (R3), before and after an edge."""

    target: str
    before: StateName | None
    after: StateName
    views_up: int
    views_down: int
    views_unknown: int
    quorum: int


class ComponentChange(_Frozen):
    """A component's state from its instances (R4), before and after an edge."""

    component: str
    critical: bool
    before: StateName | None
    after: StateName
    instances_up: int
    instances_down: int
    instances_unknown: int
    min_healthy: int


class Edge(_Frozen):
    """Why a state began or ended at ``at``: the inputs that changed there.

    ``before`` is None at the start of the computed window (the state was in
    force already: ``evidence`` then holds what it rested on); ``after`` is None
    at its end.
    """

    at: Instant
    before: StateName | None
    after: StateName | None
    targets: tuple[TargetChange, ...] = ()
    components: tuple[ComponentChange, ...] = ()
    evidence: tuple[Evidence, ...] = ()


class Period(_Frozen):
    """A maximal down or unknown period of the service (after R3-R7) touching the
    contract's active part of the month; ``counted`` is what the statement counts."""

    state: Literal["down", "unknown"]
    start: Instant
    end: Instant
    duration: Duration
    active: Duration
    """The part inside the contract's active period of the month."""
    excluded: Duration
    """The part of ``active`` excluded: qualifying maintenance (R8) or an applied exclusion."""
    counted: Duration
    """``active`` minus ``excluded``: the statement's down or unknown time from it."""
    opened_by: Edge
    closed_by: Edge
    corrections: tuple[InvalidationEvidence, ...] = ()
    """Invalidated probes that would have fallen inside it or decided its views."""


class AbsorbedExplained(_Frozen):
    """An instance down while redundancy kept its component up (R4)."""

    target: str
    component: str
    zone: str
    start: Instant
    end: Instant
    duration: Duration
    opened_by: Edge
    closed_by: Edge


class Blip(_Frozen):
    """A down period shorter than ``min_downtime``, counted as up (R7)."""

    start: Instant
    end: Instant
    duration: Duration
    opened_by: Edge
    closed_by: Edge


class IncidentFacts(_Frozen):
    """A declared incident of the service that touches the month (R5)."""

    incident_id: UUID
    reason: str
    start: Instant
    end: Instant | None
    declared: EventRef
    resolutions: tuple[EventRef, ...] = ()


class MaintenanceExplained(_Frozen):
    """An announcement touching the active period, and why it did or did not qualify (R8)."""

    announcement_id: UUID
    status: MaintenanceStatus
    why: str
    start: Instant
    end: Instant
    recorded_at: Instant
    """When the schedule that counts (the latest known) was recorded."""
    lead: Duration
    notice: Duration
    history: tuple[MaintenanceStep, ...]
    cancelled: MaintenanceStep | None
    in_period: Duration
    """The window's part inside the contract's active period of the month."""
    excluded: Duration
    over_cap: Duration
    """Qualifying time counted as ordinary time because the cap was used up."""
    cap_left: Duration | None
    """The cap left after this window (None: it did not qualify)."""


class MaintenanceSummary(_Frozen):
    notice: Duration
    cap: Duration
    used: Duration
    left: Duration
    windows: tuple[MaintenanceExplained, ...] = ()


class Correction(_Frozen):
    """A correction event bearing on the month, and the service's probes it removed (R6)."""

    correction: EventRef
    position: int
    reason: str
    probes: tuple[ProbeCitation, ...]


class TierCheck(_Frozen):
    below: Exact
    credit: Exact
    applies: bool
    """Availability is strictly below ``below``."""


class Arithmetic(_Frozen):
    """From the month to the credit (R9, R10), every step exact."""

    month_length: Duration
    inactive: Duration
    active: Duration
    excluded: Duration
    eligible: Duration
    down: Duration
    unknown: Duration
    unknown_counts_as: str
    unavailable: Duration
    availability: ExactFraction
    availability_percent: str
    target: Exact
    met: bool
    tiers: tuple[TierCheck, ...]
    credit_percent: Exact
    monthly_fee: Exact
    proration: ExactFraction
    """active / month length."""
    base_exact: ExactFraction
    base: Exact
    max_credit: Exact
    credit_exact: ExactFraction
    """base x min(credit_percent, max_credit) / 100, before rounding."""
    credit_rounded: Exact
    minimum_credit: Exact
    credit: Exact
    currency: str


class Discrepancy(_Frozen):
    """A figure the derivation does not reproduce: an auditor must see it."""

    field: str
    issued: str
    derived: str


class ServiceFacts(_Frozen):
    service_id: str
    locations: tuple[str, ...]
    probe_interval: Duration
    staleness: Duration
    quorum: int
    targets: tuple[str, ...]


class Explanation(_Frozen):
    """The full derivation of one statement (or of figures not issued yet)."""

    contract_id: str
    line_id: str
    month: str
    customer: str
    time_zone: str
    issued: bool
    version: int | None
    as_known_at: Instant | None
    log_position: int
    """The log position the statement was computed at (for figures not issued: now)."""
    log_digest: LogDigest | None = None
    """The digest of the log the statement was computed from (None: it records none)."""
    replayed_to: int
    """The derivation replayed this store's events at positions 1 to this one: the
    statement's ``log_position``, or less in a log imported with gaps closed up."""
    statement: Statement
    """The statement explained: the issued version, or the figures computed now."""
    service: ServiceFacts
    period_start: Instant
    period_end: Instant
    active_from: Instant | None
    active_until: Instant | None
    min_downtime: Duration
    periods: tuple[Period, ...] = ()
    absorbed: tuple[AbsorbedExplained, ...] = ()
    blips: tuple[Blip, ...] = ()
    incidents: tuple[IncidentFacts, ...] = ()
    maintenance: MaintenanceSummary
    corrections: tuple[Correction, ...] = ()
    arithmetic: Arithmetic
    consistent: bool = True
    """Whether the derivation reproduces the statement exactly (no ``discrepancies``)."""
    discrepancies: tuple[Discrepancy, ...] = ()
    response: ResponseStatement | None = None
    """The contract's response statement for the month, when it has response targets:
    each target with when it was due and met or missed, and the response credit that
    shares this line's cap (docs/support.md)."""
    response_status: str | None = None
    """``issued`` or ``provisional`` (the month to date), with ``response``."""
