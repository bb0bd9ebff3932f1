"""What an import checks about regions (data residency), once the whole file is read.

A file exported from a bound ledger starts with that ledger's ``LedgerBound``.
Into a store bound to another region it imports only when the file holds a
``RegionTransferAuthorised`` from the file's region to the store's, covering
every contract in the file (one that names a customer covers that customer's
contracts and the services they measure). Every contract and service that names
a region must be of the file's region, or of one authorised into it; and of the
store's, or of one the file or the store authorises into it.

The decision waits for the end of the file, since an authorisation is recorded
after the records it moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sla_ledger.adapters.jsonl_lines import Refused
from sla_ledger.domain import events as ev
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.residency import admitted, named_regions
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.exceptions import ImportFailed


@dataclass
class Named:
    """A record of the file that names a region."""

    line: int
    what: str
    region: str


@dataclass
class ContractSeen:
    line: int
    customers: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)


class ResidencyCheck:
    """Collects the regions a file names, line by line; ``finish`` judges them."""

    def __init__(self, state: LedgerState) -> None:
        self.state = state
        self.region = state.region
        self.bound_line = 0
        self.file_region: str | None = None
        self.transfers: list[tuple[int, ev.RegionTransferAuthorised]] = []
        self.named: list[Named] = []
        self.contracts: dict[str, ContractSeen] = {}
        self.services: dict[str, int] = {}

    def bound(self, event: ev.LedgerBound, line: int) -> bool:
        """Whether to record the file's binding: only into a store bound to nothing."""
        if self.file_region is not None:
            raise Refused(
                f"a second LedgerBound: line {self.bound_line} binds this file to region "
                f"{self.file_region!r} already; a ledger is bound once"
            )
        self.bound_line, self.file_region = line, event.region
        return self.region is None

    def service(self, service: Service, line: int) -> None:
        self.services.setdefault(service.service_id, line)
        if service.region is not None:
            self.named.append(Named(line, f"service {service.service_id!r}", service.region))

    def contract(self, contract: Contract, line: int) -> None:
        seen = self.contracts.setdefault(contract.contract_id, ContractSeen(line))
        seen.customers.add(contract.customer)
        seen.services.update(line.service for line in contract.lines)
        self.named.append(Named(line, f"contract {contract.contract_id!r}", contract.region))

    def transfer(self, event: ev.RegionTransferAuthorised, line: int) -> None:
        self.transfers.append((line, event))

    def finish(self) -> None:
        """Raise ``ImportFailed`` naming the first line the store's region cannot take."""
        file_region, store_region = self.file_region, self.region
        moves = [(t.from_region, t.to_region) for _, t in self.transfers]
        if file_region is not None:
            self._all_of(file_region, moves, f"line {self.bound_line} binds this file")
        if store_region is None:
            if file_region is not None:
                self._store_fits(file_region)
            return
        if file_region is not None and file_region != store_region:
            self._authorised(file_region, store_region)
        store_moves = [(t.from_region, t.to_region) for t in self.state.transfers]
        self._all_of(store_region, moves + store_moves, "this store is bound")

    def _all_of(self, region: str, moves: list[tuple[str, str]], bound: str) -> None:
        regions = admitted(region, moves)
        for named in self.named:
            if named.region not in regions:
                raise ImportFailed(
                    f"line {named.line}: {named.what} is for region {named.region!r}, but "
                    f"{bound} to region {region!r}, and no authorised transfer brings "
                    f"{named.region!r} records there; nothing was imported"
                )

    def _store_fits(self, region: str) -> None:
        regions = admitted(region, ((t.from_region, t.to_region) for _, t in self.transfers))
        for what, other in named_regions(self.state):
            if other not in regions:
                raise ImportFailed(
                    f"line {self.bound_line}: this file binds the store to region {region!r}, "
                    f"but the store's {what} is for region {other!r}; nothing was imported: "
                    "import it into an empty store"
                )

    def _authorised(self, source: str, target: str) -> None:
        leave = [
            (line, t)
            for line, t in self.transfers
            if t.from_region == source and t.to_region == target
        ]
        if not leave:
            raise ImportFailed(
                f"line {self.bound_line}: this file holds the records of a ledger of region "
                f"{source!r}, and this store is bound to region {target!r}; nothing was "
                f"imported: moving records to {target!r} needs an authorisation that names the "
                f"written agreement (authorise_transfer({target!r}, agreement=...) or "
                f"'sla-ledger authorise-transfer --to {target}' in the source ledger, then "
                f"export again), or import into a store of region {source!r}"
            )
        if any(t.customer is None for _, t in leave):
            return
        covered = {t.customer for _, t in leave}
        lines = ", ".join(str(line) for line, _ in leave)
        for contract_id, seen in self.contracts.items():
            if not seen.customers & covered:
                raise ImportFailed(
                    f"line {seen.line}: contract {contract_id!r} of {_customers(seen.customers)} "
                    f"is not covered: the authorisation to move records to {target!r} (line "
                    f"{lines}) is for {_customers(covered)} only; nothing was imported: export "
                    "that customer's records alone, or authorise the whole ledger"
                )
        measured = {s for seen in self.contracts.values() for s in seen.services}
        for service_id, line in self.services.items():
            if service_id not in measured:
                raise ImportFailed(
                    f"line {line}: service {service_id!r} is measured by no contract of "
                    f"{_customers(covered)}, the only ones the authorisation to move records "
                    f"to {target!r} (line {lines}) covers; nothing was imported: export that "
                    "customer's records alone, or authorise the whole ledger"
                )


def _customers(names: Iterable[str | None]) -> str:
    found = sorted(name for name in names if name is not None)
    return ("customer " if len(found) == 1 else "customers ") + ", ".join(map(repr, found))


__all__ = ["ResidencyCheck"]
