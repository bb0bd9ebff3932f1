"""Data residency: a ledger bound to a region refuses other regions' records.

A store is bound once (``LedgerBound``), when it is created with a region.
From then on its contracts and services must be of that region; evidence names
registered services only, so it cannot be of another one. Records reach a
store of another region only by import, and only with a recorded
``RegionTransferAuthorised`` that names the written agreement allowing it.
An unbound ledger (one created without a region) accepts any region.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from uuid import uuid4

from pydantic import ValidationError

from sla_ledger.domain import events as ev
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.terms import Contract
from sla_ledger.domain.values import describe
from sla_ledger.exceptions import InvalidTerms, ResidencyViolation, UnknownReference


def bind(state: LedgerState, region: str, now: datetime) -> ev.LedgerBound | None:
    """The binding to record, or None when the ledger is bound to ``region`` already."""
    if state.region == region:
        return None
    try:
        event = ev.LedgerBound(
            originator_id=ev.LEDGER_STREAM, originator_version=1, recorded_at=now, region=region
        )
    except ValidationError as error:
        raise InvalidTerms(describe(error)) from None
    if state.region is not None:
        raise ResidencyViolation(
            f"this ledger is bound to region {state.region!r}, not {region!r}: open it with "
            f"region {state.region!r} (or none), or move its records to a ledger of region "
            f"{region!r} with an authorised transfer"
        )
    for what, other in named_regions(state):
        if other != region:
            raise ResidencyViolation(
                f"cannot bind this ledger to region {region!r}: {what} is for region "
                f"{other!r}; bind it to {other!r}, or leave it unbound"
            )
    return event


def check_record(state: LedgerState, what: str, region: str | None) -> None:
    """``ResidencyViolation`` when the ledger is bound to another region than ``region``."""
    if state.region is None or region is None or region == state.region:
        return
    raise ResidencyViolation(
        f"{what} is for region {region!r}, but this ledger is bound to region "
        f"{state.region!r}; nothing was recorded: record it in a ledger of region {region!r}"
    )


def check_amendment(state: LedgerState, contract: Contract, current: Contract) -> None:
    """New terms keep the contract's region, or bring it to the ledger's."""
    if contract.region != current.region:
        what = f"the amendment of contract {contract.contract_id!r}"
        check_record(state, what, contract.region)


def authorise(
    state: LedgerState,
    to_region: str,
    agreement: str,
    authorised_by: str,
    customer: str | None,
    now: datetime,
) -> ev.RegionTransferAuthorised:
    """The authorisation to record; the ledger must be bound, ``customer`` one it knows."""
    if state.region is None:
        raise ResidencyViolation(
            "this ledger is bound to no region, so there is no residency to authorise a "
            "transfer from: bind it first (open_ledger(url, region=...) or "
            "'sla-ledger init --region ...')"
        )
    if customer is not None and customer not in customers(state):
        raise UnknownReference(f"no contract names customer {customer!r}")
    try:
        return ev.RegionTransferAuthorised(
            originator_id=uuid4(),
            originator_version=1,
            recorded_at=now,
            from_region=state.region,
            to_region=to_region,
            agreement=agreement,
            authorised_by=authorised_by,
            customer=customer,
        )
    except ValidationError as error:
        raise InvalidTerms(describe(error)) from None


def admitted(region: str, transfers: Iterable[tuple[str, str]]) -> set[str]:
    """``region`` and every region whose records were authorised into it, in one step or more.

    Args:
        transfers: (from_region, to_region) of each authorisation.
    """
    moves = list(transfers)
    found = {region}
    while more := {source for source, target in moves if target in found} - found:
        found |= more
    return found


def named_regions(state: LedgerState) -> Iterator[tuple[str, str]]:
    """(what, region) of every contract's terms and every service that names a region."""
    for contract_id, history in state.contracts.items():
        for terms in (history.signed, *(c for _, _, c in history.amendments)):
            yield f"contract {contract_id!r}", terms.region
    for service_id, (_, service) in state.services.items():
        if service.region is not None:
            yield f"service {service_id!r}", service.region


def customers(state: LedgerState) -> set[str]:
    """Every customer any contract's terms name."""
    return {
        terms.customer
        for history in state.contracts.values()
        for terms in (history.signed, *(c for _, _, c in history.amendments))
    }
