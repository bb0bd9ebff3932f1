"""A monthly availability statement: figures and the evidence behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from sla_ledger.domain.values import Duration, Exact, ExactFraction, Instant


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Cause = Literal["probes", "incident", "probes and incident"]
MaintenanceStatus = Literal["qualifying", "late", "cancelled"]


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

    def figures(self) -> tuple[object, ...]:
        """What a restatement compares: a change here is a change of the statement."""
        return (
            self.active,
            self.excluded,
            self.eligible,
            self.down,
            self.unknown,
            self.availability,
            self.credit,
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
