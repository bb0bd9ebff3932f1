"""What an export reads: the log up to a fixed end, whole or one customer's share of it.

Every export (JSON Lines, CSV, Parquet, a handover bundle) reads through a
``LogView``: it fixes its end at the last event recorded when it was made, so
that what it writes is a consistent prefix of the log while others append, and
reads in pages, so that memory does not grow with the log.

A customer's share (``CustomerScope``) holds everything needed to recompute
that customer's statements and nothing about any other customer:

- the customer's contracts (every contract whose signed or amended terms name
  the customer), with their statements and credits;
- the services those contracts' lines measure (under any of their terms);
- probe batches reduced to the series of those services' targets (a batch left
  empty is dropped), corrections reduced to those targets' probe ids;
- incidents and maintenance announcements that name those services, with their
  services reduced to them, and what follows them in their streams;
- exclusions that name those services (reduced to them) and are for all contracts or
  for one of the customer's, with their withdrawals;
- the support cases of the customer's contracts, with everything that follows them,
  and the customer's response statements and response credits;
- region transfers authorised for the customer, and every ledger-level event
  (one that belongs to no customer, such as the ledger's region binding or a
  transfer of the whole ledger).

Kept events keep their stream, version and ``recorded_at``; a reduced event
keeps them too, so a statement's references to its evidence still resolve.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from eventsourcing.persistence import Notification

from sla_ledger.domain import events as ev
from sla_ledger.domain.evidence import parse_probe_id
from sla_ledger.domain.terms import Contract
from sla_ledger.exceptions import UnknownReference

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

PAGE = 500

CONTRACT_TYPES = ("ContractSigned", "ContractAmended", "ContractTerminationNoticed")
STATEMENT_TYPES = ("StatementIssued", "StatementRestated")

LEDGER_LEVEL_TYPES = frozenset({"LedgerBound"})
"""Event types that belong to no customer: a customer's share keeps them whole.

Every other event type needs a rule in ``CustomerFilter``; a test fails while
one has neither, so that a new type is never exported to the wrong customer.
"""


@dataclass
class ContractRecord:
    """A contract as its events tell it: every version of its terms, and its end."""

    versions: list[Contract]
    ends_at: datetime | None = None

    @property
    def latest(self) -> Contract:
        return self.versions[-1]

    @property
    def customers(self) -> set[str]:
        return {terms.customer for terms in self.versions}

    @property
    def services(self) -> set[str]:
        return {line.service for terms in self.versions for line in terms.lines}


class LogView:
    """The ledger's log up to the last event recorded when this view was made.

    Args:
        customer: only this customer's share of the log (see the module's doc);
            ``UnknownReference`` when no contract names the customer.
    """

    def __init__(self, ledger: SlaLedger, customer: str | None = None) -> None:
        self.ledger = ledger
        self.stop: int = ledger.recorder.max_notification_id() or 0
        self.scope: CustomerScope | None = None
        if customer is not None:
            self.scope = CustomerScope.read(self, customer)

    def for_customer(self, customer: str) -> LogView:
        """The same log, up to the same end, narrowed to one customer's share."""
        narrowed = copy.copy(self)
        narrowed.scope = CustomerScope.read(self, customer)
        return narrowed

    def pages(self, topics: Sequence[str] = ()) -> Iterator[Sequence[Notification]]:
        """The stored events, a page at a time, optionally only those of some types."""
        start = 1
        while start <= self.stop:
            page = self.ledger.recorder.select_notifications(
                start=start, limit=PAGE, stop=self.stop, topics=topics
            )
            if not page:
                return
            yield page
            start = page[-1].id + 1

    def decode(self, notification: Notification) -> ev.DomainEvent:
        return cast(ev.DomainEvent, self.ledger.mapper.to_domain_event(notification))

    def events(
        self, on_progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[int, ev.DomainEvent]]:
        """(log position, event) in log order: every event, or the customer's share of each.

        Args:
            on_progress: called after each page with the number of events read so far.
        """
        return self._read((), on_progress)

    def of_types(self, *types: str) -> Iterator[tuple[int, ev.DomainEvent]]:
        """(log position, event) of the given types, in log order, within the view."""
        return self._read(types, None)

    def _read(
        self, topics: Sequence[str], on_progress: Callable[[int], None] | None
    ) -> Iterator[tuple[int, ev.DomainEvent]]:
        keep = CustomerFilter(self.scope).reduce if self.scope else None
        read = 0
        for page in self.pages(topics):
            for notification in page:
                event: ev.DomainEvent | None = self.decode(notification)
                if keep is not None and event is not None:
                    event = keep(event)
                if event is not None:
                    yield notification.id, event
            read += len(page)
            if on_progress:
                on_progress(read)

    def contracts(self) -> dict[str, ContractRecord]:
        """Every contract in the view, by id, as its events tell it."""
        records: dict[str, ContractRecord] = {}
        for _, event in self.of_types(*CONTRACT_TYPES):
            if isinstance(event, ev.ContractSigned):
                records[event.contract.contract_id] = ContractRecord([event.contract])
            elif isinstance(event, ev.ContractAmended):
                records[event.contract.contract_id].versions.append(event.contract)
            elif isinstance(event, ev.ContractTerminationNoticed):
                records[event.contract_id].ends_at = event.ends_at
        return records


@dataclass(frozen=True)
class CustomerScope:
    """One customer's contracts and the services they measure."""

    customer: str
    contracts: dict[str, ContractRecord]
    services: frozenset[str]
    customers: frozenset[str]
    """Every name the customer's contracts gave it (an amendment may rename a customer)."""

    @classmethod
    def read(cls, view: LogView, customer: str) -> CustomerScope:
        everyone = view.contracts()
        mine = {cid: r for cid, r in everyone.items() if customer in r.customers}
        if not mine:
            known = sorted({r.latest.customer for r in everyone.values()})
            hint = f"; customers: {', '.join(map(repr, known))}" if known else ""
            raise UnknownReference(f"no contract names customer {customer!r}{hint}")
        services = frozenset(s for record in mine.values() for s in record.services)
        names = frozenset(name for record in mine.values() for name in record.customers)
        return cls(customer, mine, services, names)


def service_of(target: str) -> str:
    """The service a probe target belongs to: ``api`` of ``api`` and of ``api/db/db1``."""
    return target.split("/", 1)[0]


@dataclass
class CustomerFilter:
    """Reduces events, one after another in log order, to a customer's share."""

    scope: CustomerScope
    streams: set[UUID] = field(default_factory=set)
    """Incidents, announcements, exclusions and cases kept, so that what follows them is too."""

    def reduce(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        """The event (or the part of it) the customer's share holds, or None."""
        rule = _RULES.get(type(event).__name__)
        return event if rule is None else rule(self, event)

    def _service(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.ServiceRegistered)
        return event if event.service.service_id in self.scope.services else None

    def _probes(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.ProbesRecorded)
        ours = self.scope.services
        series = tuple(s for s in event.series if service_of(s.target) in ours)
        if len(series) == len(event.series):
            return event
        return event.model_copy(update={"series": series}) if series else None

    def _correction(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.ProbesInvalidated)
        ours = self.scope.services
        ids = tuple(i for i in event.probe_ids if service_of(parse_probe_id(i)[0]) in ours)
        if len(ids) == len(event.probe_ids):
            return event
        return event.model_copy(update={"probe_ids": ids}) if ids else None

    def _opening(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.IncidentDeclared | ev.MaintenanceAnnounced)
        return self._opening_of_services(event)

    def _exclusion(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.ExclusionRecorded)
        if event.contract_id is not None and event.contract_id not in self.scope.contracts:
            return None
        return self._opening_of_services(event)

    def _opening_of_services(
        self, event: ev.IncidentDeclared | ev.MaintenanceAnnounced | ev.ExclusionRecorded
    ) -> ev.DomainEvent | None:
        """The event reduced to the scope's services (and its stream kept), or None."""
        services = tuple(s for s in event.services if s in self.scope.services)
        if not services:
            return None
        self.streams.add(event.originator_id)
        if len(services) == len(event.services):
            return event
        return event.model_copy(update={"services": services})

    def _case(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        assert isinstance(event, ev.SupportCaseOpened)
        if event.contract_id not in self.scope.contracts:
            return None
        self.streams.add(event.originator_id)
        return event

    def _follow_up(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        return event if event.originator_id in self.streams else None

    def _transfer(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        # A region transfer for one customer is theirs; one without a customer is ledger-wide.
        customer = getattr(event, "customer", None)
        return event if customer is None or customer in self.scope.customers else None

    def _contract(self, event: ev.DomainEvent) -> ev.DomainEvent | None:
        if isinstance(event, ev.ContractSigned | ev.ContractAmended):
            contract_id = event.contract.contract_id
        elif isinstance(
            event,
            ev.StatementIssued
            | ev.StatementRestated
            | ev.ResponseStatementIssued
            | ev.ResponseStatementRestated,
        ):
            contract_id = event.statement.contract_id
        else:
            assert isinstance(
                event,
                ev.ContractTerminationNoticed
                | ev.CreditIssued
                | ev.CreditAdjusted
                | ev.ResponseCreditIssued
                | ev.ResponseCreditAdjusted,
            )
            contract_id = event.contract_id
        return event if contract_id in self.scope.contracts else None


_Rule = Callable[[CustomerFilter, ev.DomainEvent], "ev.DomainEvent | None"]

_RULES: dict[str, _Rule] = {
    "ServiceRegistered": CustomerFilter._service,
    "ProbesRecorded": CustomerFilter._probes,
    "ProbesInvalidated": CustomerFilter._correction,
    "IncidentDeclared": CustomerFilter._opening,
    "IncidentResolved": CustomerFilter._follow_up,
    "MaintenanceAnnounced": CustomerFilter._opening,
    "MaintenanceRescheduled": CustomerFilter._follow_up,
    "MaintenanceCancelled": CustomerFilter._follow_up,
    "ContractSigned": CustomerFilter._contract,
    "ContractAmended": CustomerFilter._contract,
    "ContractTerminationNoticed": CustomerFilter._contract,
    "StatementIssued": CustomerFilter._contract,
    "StatementRestated": CustomerFilter._contract,
    "CreditIssued": CustomerFilter._contract,
    "CreditAdjusted": CustomerFilter._contract,
    "RegionTransferAuthorised": CustomerFilter._transfer,
    "ExclusionRecorded": CustomerFilter._exclusion,
    "ExclusionWithdrawn": CustomerFilter._follow_up,
    "SupportCaseOpened": CustomerFilter._case,
    "SupportCaseSeverityChanged": CustomerFilter._follow_up,
    "SupportCaseResponded": CustomerFilter._follow_up,
    "SupportCaseUpdated": CustomerFilter._follow_up,
    "SupportCaseResolved": CustomerFilter._follow_up,
    "ResponseStatementIssued": CustomerFilter._contract,
    "ResponseStatementRestated": CustomerFilter._contract,
    "ResponseCreditIssued": CustomerFilter._contract,
    "ResponseCreditAdjusted": CustomerFilter._contract,
}
SCOPED_TYPES = frozenset(_RULES)
"""Event types a customer's share keeps only in part, or only for the customer's things."""


__all__ = [
    "LEDGER_LEVEL_TYPES",
    "SCOPED_TYPES",
    "ContractRecord",
    "CustomerFilter",
    "CustomerScope",
    "LogView",
    "service_of",
]
