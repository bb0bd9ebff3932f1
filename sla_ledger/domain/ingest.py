"""Checking and grouping a batch of probes before it is recorded (SPEC R1, R3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sla_ledger.domain.evidence import probe_id
from sla_ledger.domain.terms import Service
from sla_ledger.domain.time import EPOCH, ONE_US
from sla_ledger.exceptions import InvalidEvidence, ProbeConflict, UnknownReference

SeriesRows = dict[tuple[int, int], int]
"""``{(at_us, ok): latency_us}`` of one (target, location); latency -1 when absent."""


def group_probes(
    probes: Iterable[object], target_service: Mapping[str, str], services: Mapping[str, Service]
) -> dict[tuple[str, str], SeriesRows]:
    """Validate every probe and group them by (target, location); all or nothing."""
    groups: dict[tuple[str, str], SeriesRows] = {}
    locations: dict[str, tuple[str, ...]] = {}
    for index, probe in enumerate(probes):
        try:
            if not isinstance(probe, tuple):
                raise TypeError
            target, location, at, ok, *rest = probe
        except (TypeError, ValueError):
            raise InvalidEvidence(
                f"probe #{index} is {probe!r}: "
                "expected Probe(target, location, at, ok[, latency_us])"
            ) from None
        allowed = locations.get(target)
        if allowed is None:
            allowed = locations[target] = _locations_of(target, target_service, services, index)
        if location not in allowed:
            raise UnknownReference(
                f"probe #{index}: location {location!r} is not registered for {target!r}; "
                f"its locations: {', '.join(allowed)}"
            )
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise InvalidEvidence(f"probe #{index}: time {at!r} must be a timezone-aware datetime")
        if ok is not True and ok is not False:
            raise InvalidEvidence(f"probe #{index}: ok {ok!r} must be True or False")
        latency = rest[0] if rest else None
        if latency is None:
            latency = -1
        elif type(latency) is not int or latency < 0 or len(rest) > 1:
            raise InvalidEvidence(
                f"probe #{index}: latency_us {latency!r} must be None or "
                "a non-negative int of microseconds"
            )
        at_us = (at - EPOCH) // ONE_US
        rows = groups.get((target, location))
        if rows is None:
            rows = groups[(target, location)] = {}
        key = (at_us, 1 if ok else 0)
        if rows.setdefault(key, latency) != latency:
            raise ProbeConflict(
                f"probe #{index} {probe_id(target, location, at_us, ok)} "
                "appears twice in the batch "
                f"with latencies {rows[key]} and {latency} us"
            )
    return groups


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
