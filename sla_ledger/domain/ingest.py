"""Checking and grouping a batch of probes before it is recorded (SPEC R1, R3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sla_ledger.domain.evidence import Probe, probe_id
from sla_ledger.domain.terms import Service
from sla_ledger.domain.time import EARLIEST_US, EPOCH, ONE_US, from_us
from sla_ledger.exceptions import InvalidEvidence, ProbeConflict, UnknownReference

FUTURE_SKEW = 300_000_000
"""How far ahead of the ledger's clock a monitoring system's clock may run: 5 minutes."""

SeriesRows = dict[tuple[int, int], int]
"""``{(at_us, ok): latency_us}`` of one (target, location); latency -1 when absent."""


def group_probes(
    probes: Iterable[object],
    target_service: Mapping[str, str],
    services: Mapping[str, Service],
    not_after: int,
) -> dict[tuple[str, str], SeriesRows]:
    """Validate every probe and group them by (target, location); all or nothing.

    Args:
        not_after: the latest instant a probe may have: a probe is recorded after it
            happens, so one from the ledger clock's future is refused (R14).
    """
    groups: dict[tuple[str, str], SeriesRows] = {}
    for index, probe in enumerate(probes):
        target, location, at, ok, latency = _fields(probe, index)
        try:
            rows = groups.get((target, location))
        except TypeError:  # a list or a dict as the target or location
            raise InvalidEvidence(
                f"probe #{index}: target {target!r} and location {location!r} must be texts"
            ) from None
        if rows is None:
            _check_target(target, location, target_service, services, index)
            rows = groups[(target, location)] = {}
        if ok is not True and ok is not False:
            raise InvalidEvidence(f"probe #{index}: ok {ok!r} must be True or False")
        if latency is None:
            latency = -1
        elif latency.__class__ is not int or latency < 0:
            raise InvalidEvidence(
                f"probe #{index}: latency_us {latency!r} must be None or "
                "a non-negative int of microseconds"
            )
        try:  # naive datetimes and non-datetimes cannot be subtracted from EPOCH
            key = ((at - EPOCH) // ONE_US, 1 if ok else 0)
        except TypeError:
            raise InvalidEvidence(
                f"probe #{index}: time {at!r} must be a timezone-aware datetime"
            ) from None
        if key[0] < EARLIEST_US:
            raise InvalidEvidence(
                f"probe #{index}: time {at.isoformat()} is before "
                f"{from_us(EARLIEST_US).isoformat()}: a probe is from 1970 or later"
            )
        if key[0] > not_after:
            raise InvalidEvidence(
                f"probe #{index}: time {at.isoformat()} is after the ledger clock's "
                f"{from_us(not_after - FUTURE_SKEW).isoformat()} (allowing "
                f"{FUTURE_SKEW // 1_000_000} s of clock skew): a probe is recorded after it happens"
            )
        if rows.setdefault(key, latency) != latency:
            raise ProbeConflict(
                f"probe #{index} {probe_id(target, location, key[0], ok)} "
                f"appears twice in the batch with latencies {rows[key]} and {latency} us"
            )
    return groups


def _fields(probe: object, index: int) -> tuple[Any, Any, Any, Any, Any]:
    if probe.__class__ is Probe:
        return probe
    if isinstance(probe, tuple) and len(probe) in (4, 5):
        return (*probe, None) if len(probe) == 4 else probe
    raise InvalidEvidence(
        f"probe #{index} is {probe!r}: expected Probe(target, location, at, ok[, latency_us])"
    )


def _check_target(
    target: object,
    location: object,
    target_service: Mapping[str, str],
    services: Mapping[str, Service],
    index: int,
) -> None:
    allowed = _locations_of(target, target_service, services, index)
    if location not in allowed:
        raise UnknownReference(
            f"probe #{index}: location {location!r} is not registered for {target!r}; "
            f"its locations: {', '.join(allowed)}"
        )


def _locations_of(
    target: object, target_service: Mapping[str, str], services: Mapping[str, Service], index: int
) -> tuple[str, ...]:
    service = target_service.get(target) if isinstance(target, str) else None
    if service is None:
        raise UnknownReference(
            f"probe #{index}: unknown target {target!r}; expected a registered service id or "
            "'service/component/instance'"
        )
    return services[service].locations
