"""Every fact the ledger records, as an immutable, versioned event.

Each event names the stream it belongs to (``originator_id``) and its place in
it (``originator_version``), and carries ``recorded_at``: the knowledge time
(R14) stamped by the ledger's clock, never by the caller.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sla_ledger.domain.statement import Statement
from sla_ledger.domain.terms import Contract, Region, Service
from sla_ledger.domain.values import Exact, Instant

NAMESPACE = UUID("6f1c2a8e-3d4b-5e6f-8a9b-0c1d2e3f4a5b")


def stream_id(kind: str, *names: str) -> UUID:
    """The deterministic stream of a named thing, so that two writers collide on it."""
    return uuid5(NAMESPACE, "/".join((kind, *names)))


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int = Field(ge=1)
    recorded_at: Instant


LEDGER_STREAM = stream_id("ledger")
"""The stream of the ledger's region binding: two processes binding one store collide on it."""


class LedgerBound(DomainEvent):
    """The store is bound to ``region``: its contracts and services must be of it.

    Recorded once: as the store's first event when it is created with a region
    (an older, unbound store may be bound later). ``recorded_at`` says when.
    """

    region: Region


class RegionTransferAuthorised(DomainEvent):
    """Leave, under a written agreement, to move this ledger's records to ``to_region``.

    ``customer`` limits it to that customer's contracts and the services they
    measure; without one it covers every record of the ledger.
    """

    from_region: Region
    to_region: Region
    agreement: str = Field(min_length=1)
    authorised_by: str = Field(min_length=1)
    customer: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check(self) -> RegionTransferAuthorised:
        if self.from_region == self.to_region:
            raise ValueError(f"a transfer goes to another region, not back to {self.to_region!r}")
        for name in ("agreement", "authorised_by"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be blank")
        return self


class ServiceRegistered(DomainEvent):
    service: Service


class ProbeSeries(BaseModel):
    """The probes of one target from one location in a batch, in time order.

    ``at`` holds microseconds since the Unix epoch (UTC); ``latency_us`` is
    absent when no probe in the series reported a latency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    location: str
    at: list[int]
    ok: list[bool]
    latency_us: list[int | None] | None = None


class ProbesRecorded(DomainEvent):
    """A batch of probe results. A probe is addressed by (event, series, index)
    and by its id ``target@location@instant#up|down``."""

    series: tuple[ProbeSeries, ...]


class ProbesInvalidated(DomainEvent):
    probe_ids: tuple[str, ...] = Field(min_length=1)
    reason: str = Field(min_length=1)


class IncidentDeclared(DomainEvent):
    services: tuple[str, ...] = Field(min_length=1)
    start: Instant
    end: Instant | None = None
    reason: str = Field(min_length=1)


class IncidentResolved(DomainEvent):
    end: Instant


class MaintenanceAnnounced(DomainEvent):
    services: tuple[str, ...] = Field(min_length=1)
    start: Instant
    end: Instant
    reason: str = ""


class MaintenanceRescheduled(DomainEvent):
    start: Instant
    end: Instant


class MaintenanceCancelled(DomainEvent):
    reason: str = ""


class ContractSigned(DomainEvent):
    contract: Contract


class ContractAmended(DomainEvent):
    """New terms, applying from ``effective_month`` (the month after recording, R13)."""

    contract: Contract
    effective_month: str


class ContractTerminationNoticed(DomainEvent):
    contract_id: str
    ends_at: Instant


class StatementIssued(DomainEvent):
    statement: Statement


class StatementRestated(DomainEvent):
    statement: Statement


class _CreditEvent(DomainEvent):
    contract_id: str
    line_id: str
    month: str
    statement_version: int
    amount: Exact
    currency: str


class CreditIssued(_CreditEvent):
    """The credit of a statement's first version, when positive (R10, R11)."""


class CreditAdjusted(_CreditEvent):
    """A change to an issued credit after a restatement; negative only with clawback."""


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.__name__: cls
    for cls in (
        LedgerBound,
        RegionTransferAuthorised,
        ServiceRegistered,
        ProbesRecorded,
        ProbesInvalidated,
        IncidentDeclared,
        IncidentResolved,
        MaintenanceAnnounced,
        MaintenanceRescheduled,
        MaintenanceCancelled,
        ContractSigned,
        ContractAmended,
        ContractTerminationNoticed,
        StatementIssued,
        StatementRestated,
        CreditIssued,
        CreditAdjusted,
    )
}
"""Event classes by the stable type name used in storage and the interchange format."""

EVIDENCE_TYPES = frozenset(
    {
        "ProbesRecorded",
        "ProbesInvalidated",
        "IncidentDeclared",
        "IncidentResolved",
        "MaintenanceAnnounced",
        "MaintenanceRescheduled",
        "MaintenanceCancelled",
    }
)
CREDIT_TYPES = ("CreditIssued", "CreditAdjusted")
CLOSE = (StatementIssued, StatementRestated, CreditIssued, CreditAdjusted)
"""The events a month close records: figures, decided from the state, never re-stamped."""
