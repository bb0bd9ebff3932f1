"""Services with their topology, and contracts with their lines (SPEC R3, R4, R8-R13)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from sla_ledger.domain.money import check_amount, minor_unit
from sla_ledger.domain.support_terms import SupportTier
from sla_ledger.domain.time import out_of_range, to_us, zone
from sla_ledger.domain.values import Duration, Exact, Instant, ValueObject, check_name


def check_category(value: str) -> str:
    """An exclusion category's name: a name, and not ``maintenance`` (R8 has its own rule)."""
    check_name(value)
    if value == "maintenance":
        raise ValueError(
            "'maintenance' is not an exclusion category: announce maintenance instead (R8)"
        )
    return value


Region = Annotated[str, AfterValidator(check_name)]
"""The name of a data-residency region, such as ``eu``."""


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} appears twice")
        seen.add(name)


class Instance(ValueObject):
    """One instance of a component, running in an availability zone."""

    name: str
    zone: str

    _names = field_validator("name", "zone")(check_name)


class Component(ValueObject):
    """A part of a service with redundant instances (R4)."""

    name: str
    instances: tuple[Instance, ...] = Field(min_length=1)
    min_healthy: int = Field(default=1, ge=1)
    critical: bool = True

    _names = field_validator("name")(check_name)

    @model_validator(mode="after")
    def _check(self) -> Component:
        _unique([i.name for i in self.instances], "instance")
        if self.min_healthy > len(self.instances):
            raise ValueError(
                f"min_healthy {self.min_healthy} exceeds the {len(self.instances)} instances "
                f"of component {self.name!r}"
            )
        return self


class Service(ValueObject):
    """A measured service: where it is probed from, how often, and its topology.

    Args:
        endpoint: whether the service's own endpoint is probed; without it the
            service is judged by its critical components alone (R4).
        staleness: how old a location's latest probe may be; default 3 x interval.
        quorum: views needed to call a target up or down; default a majority.
        region: where the service and its evidence reside; default the region of
            the ledger it is registered in (a bound ledger refuses another one).
    """

    service_id: str
    locations: tuple[str, ...] = Field(min_length=1)
    probe_interval: Duration
    staleness: Duration | None = None
    quorum: int | None = Field(default=None, ge=1)
    endpoint: bool = True
    components: tuple[Component, ...] = ()
    region: Region | None = None

    _names = field_validator("service_id")(check_name)

    @model_serializer(mode="wrap")
    def _without_unset_region(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Unset, the region is left out: services without one are stored as before.
        data = handler(self)
        if isinstance(data, dict) and data.get("region") is None:
            data.pop("region", None)
        return data

    @field_validator("locations")
    @classmethod
    def _locations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            check_name(name)
        _unique(list(value), "location")
        return value

    @model_validator(mode="after")
    def _check(self) -> Service:
        if self.probe_interval <= timedelta(0):
            raise ValueError(f"probe_interval must be positive, got {self.probe_interval}")
        if self.staleness is not None and self.staleness <= timedelta(0):
            raise ValueError(f"staleness must be positive, got {self.staleness}")
        if self.quorum is not None and self.quorum > len(self.locations):
            raise ValueError(
                f"quorum {self.quorum} exceeds the {len(self.locations)} probe locations"
            )
        _unique([c.name for c in self.components], "component")
        if not self.endpoint and not any(c.critical for c in self.components):
            raise ValueError(
                f"service {self.service_id!r} has neither a probed endpoint nor a critical "
                "component, so nothing could ever measure it"
            )
        return self

    @property
    def effective_staleness(self) -> timedelta:
        return self.staleness if self.staleness is not None else 3 * self.probe_interval

    @property
    def effective_quorum(self) -> int:
        return self.quorum if self.quorum is not None else len(self.locations) // 2 + 1

    def targets(self) -> list[str]:
        """Every probe target: the endpoint (the service id) and each instance path."""
        own = [self.service_id] if self.endpoint else []
        return own + [
            instance_target(self.service_id, c.name, i.name)
            for c in self.components
            for i in c.instances
        ]


def instance_target(service_id: str, component: str, instance: str) -> str:
    return f"{service_id}/{component}/{instance}"


class CreditTier(ValueObject):
    """Availability strictly below ``below`` percent earns ``credit`` percent of the fee."""

    below: Exact = Field(gt=0, le=100)
    credit: Exact = Field(gt=0, le=100)


DEFAULT_SCHEDULE = (
    CreditTier(below=Decimal("99.9"), credit=Decimal("10")),
    CreditTier(below=Decimal("99.0"), credit=Decimal("25")),
    CreditTier(below=Decimal("95.0"), credit=Decimal("100")),
)


class ContractLine(ValueObject):
    """One measured service in a contract, with its fee, target and credits (R9, R10)."""

    line_id: str
    service: str
    monthly_fee: Exact
    currency: str
    target: Exact = Field(default=Decimal("99.9"), gt=0, le=100)
    credit_schedule: tuple[CreditTier, ...] = DEFAULT_SCHEDULE
    max_credit: Exact = Field(default=Decimal("100"), ge=0, le=100)
    minimum_credit: Exact = Decimal("0")

    _names = field_validator("line_id", "service")(check_name)

    @model_validator(mode="after")
    def _check(self) -> ContractLine:
        minor_unit(self.currency)
        check_amount(self.monthly_fee, self.currency, "monthly_fee")
        check_amount(self.minimum_credit, self.currency, "minimum_credit")
        tiers = sorted(self.credit_schedule, key=lambda t: t.below, reverse=True)
        for upper, lower in itertools.pairwise(tiers):
            if upper.below == lower.below or lower.credit < upper.credit:
                raise ValueError(
                    "credit_schedule is not monotonic: a lower 'below' must earn a larger "
                    f"credit, but below {lower.below} earns {lower.credit} % and "
                    f"below {upper.below} earns {upper.credit} %"
                )
        return self


class Contract(ValueObject):
    """A customer's contract: lines and the terms that govern all of them.

    Args:
        starts_at: when measurement starts (the first month may be partial).
        grace: how long after a month's end it closes (R11).
        notice_period: the least time between a termination notice and the end (R13).
        clawback: whether a restatement that lowers a credit takes money back (R12).
        support: the support tier: response targets and their credits (docs/support.md).
        exclusion_categories: the exclusion categories besides maintenance the contract
            allows, e.g. ``customer-caused``; an exclusion of another category is shown
            on statements but not applied (docs/rules.md).
    """

    contract_id: str
    customer: str = Field(min_length=1, max_length=200)
    region: str
    time_zone: str = "UTC"
    starts_at: Instant
    lines: tuple[ContractLine, ...] = Field(min_length=1)
    maintenance_notice: Duration = timedelta(days=5)
    maintenance_cap: Duration = timedelta(hours=8)
    min_downtime: Duration = timedelta(seconds=60)
    grace: Duration = timedelta(hours=1)
    unknown_counts_as: Literal["unavailable", "available"] = "unavailable"
    notice_period: Duration = timedelta(days=30)
    clawback: bool = False
    support: SupportTier | None = None
    exclusion_categories: tuple[str, ...] = ()

    _names = field_validator("contract_id", "region")(check_name)

    @model_serializer(mode="wrap")
    def _without_unset_additions(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Left out when unset, so contracts recorded before they existed read and hash
        # (log digest, terms hash) exactly as before.
        data = handler(self)
        if isinstance(data, dict):
            if data.get("support") is None:
                data.pop("support", None)
            if not data.get("exclusion_categories"):
                data.pop("exclusion_categories", None)
        return data

    @field_validator("exclusion_categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            check_category(name)
        _unique(list(value), "exclusion category")
        return value

    @field_validator("starts_at")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        if why := out_of_range(to_us(value)):
            raise ValueError(f"starts_at {value.isoformat()} {why}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> Contract:
        _unique([line.line_id for line in self.lines], "line")
        for name in (
            "maintenance_notice",
            "maintenance_cap",
            "min_downtime",
            "grace",
            "notice_period",
        ):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        return self

    def line(self, line_id: str) -> ContractLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)
