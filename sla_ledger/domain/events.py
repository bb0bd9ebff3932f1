"""Every fact the ledger records, as an immutable, versioned event.

Each event names the stream it belongs to (``originator_id``) and its place in
it (``originator_version``), and carries ``recorded_at``: the knowledge time
(R14) stamped by the ledger's clock, never by the caller.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.terms import Contract, Region, Service, check_category
from sla_ledger.domain.values import Exact, Instant, check_name

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


class SupportCaseOpened(DomainEvent):
    """A support case of a contract; ``opened_at`` is when the customer raised it, which
    may be before it was recorded, never after (docs/support.md)."""

    contract_id: str
    severity: str
    opened_at: Instant
    subject: str = ""

    _names = field_validator("contract_id", "severity")(check_name)


class SupportCaseSeverityChanged(DomainEvent):
    """The case's severity from the moment this is recorded."""

    severity: str
    reason: str = ""

    _severity = field_validator("severity")(check_name)


class SupportCaseResponded(DomainEvent):
    """The first response, given when recorded: a response cannot be backdated (R14)."""

    note: str = ""


class SupportCaseUpdated(DomainEvent):
    """An update after the first response, given when recorded."""

    note: str = ""


class SupportCaseResolved(DomainEvent):
    """The case is resolved when recorded; a resolution also answers what is due."""

    note: str = ""


class ExclusionRecorded(DomainEvent):
    """A decision to exclude ``[start, end)`` of some services from measurement, for a
    reason of ``category`` (not maintenance), for one contract or all (docs/rules.md)."""

    category: str
    services: tuple[str, ...] = Field(min_length=1)
    start: Instant
    end: Instant
    reason: str = Field(min_length=1)
    decided_by: str = Field(min_length=1)
    contract_id: str | None = None

    _category = field_validator("category")(check_category)


class ExclusionWithdrawn(DomainEvent):
    """The exclusion no longer applies, from the moment this is recorded."""

    reason: str = Field(min_length=1)
    decided_by: str = Field(min_length=1)


class StatementIssued(DomainEvent):
    statement: Statement


class StatementRestated(DomainEvent):
    statement: Statement


class CreditEvent(DomainEvent):
    """A credit, or an adjustment of one, of a contract line and month (the billing feed)."""

    contract_id: str
    line_id: str
    month: str
    statement_version: int
    amount: Exact
    currency: str


class CreditIssued(CreditEvent):
    """The credit of a statement's first version, when positive (R10, R11)."""


class CreditAdjusted(CreditEvent):
    """A change to an issued credit after a restatement; negative only with clawback."""


class ResponseStatementIssued(DomainEvent):
    statement: ResponseStatement


class ResponseStatementRestated(DomainEvent):
    statement: ResponseStatement


class ResponseCreditIssued(CreditEvent):
    """A line's response credit of a response statement's first version, when positive."""


class ResponseCreditAdjusted(CreditEvent):
    """A change to a line's response credit after a restatement; negative only with clawback."""


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
        SupportCaseOpened,
        SupportCaseSeverityChanged,
        SupportCaseResponded,
        SupportCaseUpdated,
        SupportCaseResolved,
        ExclusionRecorded,
        ExclusionWithdrawn,
        ResponseStatementIssued,
        ResponseStatementRestated,
        ResponseCreditIssued,
        ResponseCreditAdjusted,
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
        "ExclusionRecorded",
        "ExclusionWithdrawn",
    }
)
CASE_TYPES = (
    "SupportCaseOpened",
    "SupportCaseSeverityChanged",
    "SupportCaseResponded",
    "SupportCaseUpdated",
    "SupportCaseResolved",
)
CREDIT_TYPES = ("CreditIssued", "CreditAdjusted")
RESPONSE_CREDIT_TYPES = ("ResponseCreditIssued", "ResponseCreditAdjusted")
ALL_CREDIT_TYPES = (*CREDIT_TYPES, *RESPONSE_CREDIT_TYPES)
"""Every credit and adjustment: the billing feed."""
RESPONSE_STATEMENT_TYPES = ("ResponseStatementIssued", "ResponseStatementRestated")
CLOSE = (
    StatementIssued,
    StatementRestated,
    CreditIssued,
    CreditAdjusted,
    ResponseStatementIssued,
    ResponseStatementRestated,
    ResponseCreditIssued,
    ResponseCreditAdjusted,
)
"""The events a month close records: figures, decided from the state, never re-stamped."""
