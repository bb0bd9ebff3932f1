"""A monthly availability statement: figures and the evidence behind them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from sla_ledger.domain.values import Exact, ExactFraction, Instant


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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
    duration_us: int
    cause: Literal["probes", "incident", "probes and incident"]


class AbsorbedFailure(_Frozen):
    """An instance down while redundancy kept its component up (R4)."""

    target: str
    zone: str
    start: Instant
    end: Instant
    duration_us: int


class MaintenanceWindow(_Frozen):
    """An announcement touching the month, and whether and how much it excluded (R8)."""

    announcement_id: UUID
    start: Instant
    end: Instant
    recorded_at: Instant
    lead_us: int
    status: Literal["qualifying", "late", "cancelled"]
    excluded_us: int


class Statement(_Frozen):
    """The figures of one contract line for one month (R9, R10), with their evidence.

    Durations are integer microseconds; ``availability`` is exact and
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
    month_us: int
    active_us: int
    excluded_us: int
    eligible_us: int
    down_us: int
    unknown_us: int
    unavailable_us: int
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

    def figures(self) -> tuple[int, int, int, int, int, Fraction, Decimal]:
        """What a restatement compares: a change here is a change of the statement."""
        return (
            self.active_us,
            self.excluded_us,
            self.eligible_us,
            self.down_us,
            self.unknown_us,
            self.availability,
            self.credit,
        )
