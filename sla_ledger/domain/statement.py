"""A monthly availability statement: figures and the evidence behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from sla_ledger.domain.values import Duration, Exact, ExactFraction, Instant


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Cause = Literal["probes", "incident", "probes and incident"]
MaintenanceStatus = Literal["qualifying", "late", "cancelled"]
ExclusionStatus = Literal["applied", "not allowed", "withdrawn"]


class EventRef(_Frozen):
    """Names one recorded event, stably across stores."""

    type: str
    originator_id: UUID
    originator_version: int
    recorded_at: Instant


class Outage(_Frozen):
    """A maximal down period of the service within the month (after R7 and R8)."""

    start: Instant
    end: Instant
    duration: Duration
    cause: Cause
    detected_at: Instant | None = None
    """When the ledger first recorded evidence of it: a down probe or the incident."""
    detection_latency: Duration | None = None
    """``detected_at`` minus the outage's start."""


class AbsorbedFailure(_Frozen):
    """An instance down while redundancy kept its component up (R4)."""

    target: str
    zone: str
    start: Instant
    end: Instant
    duration: Duration


class MaintenanceWindow(_Frozen):
    """An announcement touching the month, and whether and how much it excluded (R8)."""

    announcement_id: UUID
    start: Instant
    end: Instant
    recorded_at: Instant
    lead: Duration
    status: MaintenanceStatus
    excluded: Duration


class ExclusionNote(_Frozen):
    """An exclusion besides maintenance touching the month: who decided it, why, and
    whether and how much it excluded (docs/rules.md, "Exclusions")."""

    exclusion_id: UUID
    category: str
    start: Instant
    end: Instant
    reason: str
    decided_by: str
    recorded_at: Instant
    contract_id: str | None = None
    """The one contract it was decided for; None: every contract measuring its services."""
    status: ExclusionStatus
    excluded: Duration
    """The time it removed from eligible time, after maintenance and earlier exclusions."""


class TermsInForce(_Frozen):
    """The version of the contract's terms a figure was computed under (R13)."""

    version: int = Field(ge=1)
    """The contract stream version that recorded these terms: 1 when signed."""
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    """SHA-256 of the terms' canonical JSON (docs/rules.md, "Terms as data")."""
    since: str
    """The first month these terms apply to."""
    amended_this_month: bool
    """True in the first month of an amendment."""


class LogDigest(_Frozen):
    """The Merkle tree head of the first ``size`` events of the log (docs/log-digest.md)."""

    size: int = Field(ge=0)
    root: str = Field(pattern="^[0-9a-f]{64}$")
    """The tree's root hash, lowercase hexadecimal."""

    def __str__(self) -> str:
        return f"{self.size}:{self.root}"


class Statement(_Frozen):
    """The figures of one contract line for one month (R9, R10), with their evidence.

    Durations are exact (whole microseconds); ``availability`` is exact and
    ``availability_percent`` is truncated to four places, never rounded up.
    """

    contract_id: str
    line_id: str
    service: str
    customer: str
    month: str
    version: int
    time_zone: str
    period_start: Instant
    period_end: Instant
    month_length: Duration
    active: Duration
    excluded: Duration
    eligible: Duration
    down: Duration
    unknown: Duration
    unavailable: Duration
    unknown_counts_as: str
    availability: ExactFraction
    availability_percent: str
    target: Exact
    met: bool
    credit_percent: Exact
    base: Exact
    credit: Exact
    currency: str
    outages: tuple[Outage, ...] = ()
    absorbed_failures: tuple[AbsorbedFailure, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    corrections: tuple[EventRef, ...] = ()
    changed_by: tuple[EventRef, ...] = ()
    log_position: int
    known_at: Instant
    log_digest: LogDigest | None = None
    """The digest of the log it was computed from: its first ``log_digest.size`` events."""
    terms: TermsInForce | None = None
    """The terms it was computed under (None on statements recorded before terms hashes)."""
    exclusions: tuple[ExclusionNote, ...] = ()
    """Exclusions besides maintenance touching the month, applied or not."""

    @model_serializer(mode="wrap")
    def _without_unset_additions(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Left out when unset, so statements recorded before they existed keep their bytes
        # (and so their log-digest leaves).
        data = handler(self)
        if isinstance(data, dict):
            if data.get("terms") is None:
                data.pop("terms", None)
            if not data.get("exclusions"):
                data.pop("exclusions", None)
        return data

    def figures(self) -> tuple[object, ...]:
        """What a restatement compares: a change here is a change of the statement.

        An exclusion that does not change the figures still changes what the statement
        lists, so its status and effect count too: nothing is excluded silently.
        """
        return (
            self.active,
            self.excluded,
            self.eligible,
            self.down,
            self.unknown,
            self.availability,
            self.credit,
            tuple((x.exclusion_id, x.status, x.excluded) for x in self.exclusions),
        )

    @property
    def down_us(self) -> int:
        return self.down // _US

    @property
    def unknown_us(self) -> int:
        return self.unknown // _US

    @property
    def excluded_us(self) -> int:
        return self.excluded // _US

    @property
    def eligible_us(self) -> int:
        return self.eligible // _US

    @property
    def active_us(self) -> int:
        return self.active // _US

    @property
    def month_us(self) -> int:
        return self.month_length // _US

    @property
    def unavailable_us(self) -> int:
        return self.unavailable // _US


_US = timedelta(microseconds=1)
