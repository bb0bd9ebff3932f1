"""Support tiers: per case severity, a first-response target and an update interval,
counted in calendar time or in the tier's business hours (docs/support.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sla_ledger.domain.business_hours import BusinessHours
from sla_ledger.domain.time import duration_us
from sla_ledger.domain.values import Duration, Exact, ValueObject, check_name

Clock = Literal["calendar", "business"]
"""How a target's time is counted: every microsecond, or only business hours."""


class ResponseTarget(ValueObject):
    """What a tier promises for cases of one severity.

    Args:
        first_response: the longest time from a case's opening to its first response.
        update_interval: after the first response, the longest time between updates
            until the case is resolved; None: no update commitment.
        clock: count both in calendar time or in the tier's business hours.
        first_response_credit: percent of each line's monthly fee credited for each
            missed first response (0: none).
        update_credit: percent credited for each missed update (0: none).
    """

    severity: str
    first_response: Duration
    update_interval: Duration | None = None
    clock: Clock = "calendar"
    first_response_credit: Exact = Field(default=Decimal(0), ge=0, le=100)
    update_credit: Exact = Field(default=Decimal(0), ge=0, le=100)

    _severity = field_validator("severity")(check_name)

    @model_validator(mode="after")
    def _check(self) -> ResponseTarget:
        if self.first_response <= timedelta(0):
            raise ValueError(f"first_response must be positive, got {self.first_response}")
        if self.update_interval is not None and self.update_interval < timedelta(minutes=1):
            raise ValueError(
                f"update_interval must be at least one minute, got {self.update_interval}"
            )
        return self

    @property
    def first_response_us(self) -> int:
        return duration_us(self.first_response)

    @property
    def update_interval_us(self) -> int | None:
        return None if self.update_interval is None else duration_us(self.update_interval)


class SupportTier(ValueObject):
    """A named support tier: a response target per case severity.

    Args:
        business_hours: needed when a target counts business time.
    """

    name: str
    targets: tuple[ResponseTarget, ...] = Field(min_length=1)
    business_hours: BusinessHours | None = None

    _tier = field_validator("name")(check_name)

    @model_validator(mode="after")
    def _check(self) -> SupportTier:
        names = [t.severity for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError(f"severities {names} name a severity twice")
        business = [t.severity for t in self.targets if t.clock == "business"]
        if business and self.business_hours is None:
            raise ValueError(
                f"severity {business[0]!r} counts business time, but tier {self.name!r} "
                "has no business_hours"
            )
        return self

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(t.severity for t in self.targets)

    def target(self, severity: str) -> ResponseTarget | None:
        return next((t for t in self.targets if t.severity == severity), None)

    def due(self, target: ResponseTarget, start: int, duration: int) -> int:
        """The instant ``duration`` microseconds after ``start`` on ``target``'s clock."""
        if target.clock == "calendar":
            return start + duration
        assert self.business_hours is not None  # checked on construction
        return self.business_hours.add(start, duration)
