"""Fuzzing the Python API: every command and query of ``SlaLedger`` with hostile arguments.

Each call is accepted and did what it was asked (checked against the ledger's
state), or refused with an ``SlaLedgerError`` and nothing written
(``hostile.attempt``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger import Probe
from sla_ledger.domain.evidence import parse_probe_id
from sla_ledger.domain.time import to_us
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import (
    attempt,
    aware_instants,
    either,
    hostile,
    ids_from,
    nasty_text,
)
from tests.reliability.fuzz.world import NOW, Template
from tests.reliability.profile import sized

TARGETS = ("web", "api/db/i0", "api/db/i1", "api")
LOCATIONS = ("fra", "ams")
SERVICES = st.sampled_from([["web"], ["api"], ["web", "api"], ("web",)])


def past_instants() -> st.SearchStrategy:
    """Instants a monitoring system could send now: the last 60 days, or just ahead."""
    return st.integers(-60 * 86_400 * 10**6, 400 * 10**6).map(
        lambda us: NOW + timedelta(microseconds=us)
    )


def windows(start=None) -> st.SearchStrategy:
    start = start or st.one_of(past_instants(), aware_instants())
    length = st.integers(1, 10 * 86_400).map(lambda s: timedelta(seconds=s))
    return st.tuples(start, length).map(lambda p: (p[0], _plus(*p)))


def _plus(instant: datetime, length: timedelta) -> datetime:
    try:
        return instant + length
    except OverflowError:
        return datetime.max.replace(tzinfo=instant.tzinfo)


@st.composite
def probes(draw):
    fields = [
        draw(either(st.sampled_from(TARGETS))),
        draw(either(st.sampled_from(LOCATIONS))),
        draw(either(past_instants())),
        draw(either(st.booleans())),
    ]
    if draw(st.booleans()):
        fields.append(draw(either(st.one_of(st.none(), st.integers(0, 10**7)))))
    shape = draw(st.sampled_from(["probe", "probe", "tuple", "list"]))
    if shape == "probe" and len(fields) >= 4:
        return Probe(*fields)
    return tuple(fields) if shape == "tuple" else fields


batches = either(st.lists(either(probes(), odds=12), max_size=12), odds=8)


@settings(max_examples=sized(25, 500))
@given(batch=batches)
def test_a_batch_of_probes_is_recorded_as_given_or_refused_whole(world: Template, batch) -> None:
    counter.count()
    with world.copy() as (ledger, _):
        outcome = attempt(ledger, ledger.record_probes, batch)
        if not outcome.accepted:
            return
        evidence = ledger.catch_up().evidence
        distinct = {(p[0], p[1], to_us(p[2]), p[3]) for p in batch}
        for target, location, at, ok in distinct:
            assert evidence.contains(target, location, at, ok)
        receipt = outcome.value
        assert receipt.recorded + receipt.duplicates == len(distinct)


@settings(max_examples=sized(25, 500))
@given(data=st.data())
def test_an_invalidation_names_recorded_probes_or_is_refused(world: Template, data) -> None:
    counter.count()
    recorded = ("web@fra@2026-04-01T00:00:00Z#up", "web@ams@2026-04-01T13:00:00Z#down")
    one = st.one_of(
        st.sampled_from(recorded),
        st.sampled_from(recorded).map(lambda text: Probe(*_fields(text))),
        nasty_text(),
        hostile(),
    )
    chosen = data.draw(either(st.lists(one, max_size=4)))
    reason = data.draw(either(st.sampled_from(["probe location broken", "x"])))
    with world.copy() as (ledger, _):
        outcome = attempt(ledger, ledger.invalidate_probes, chosen, reason)
        if outcome.accepted:
            evidence = ledger.catch_up().evidence
            for probe in chosen:
                text = probe.probe_id if isinstance(probe, Probe) else probe
                target, location, at, ok = parse_probe_id(text)
                assert (at, ok) in evidence.series[(target, location)].invalidated


def _fields(text: str):
    target, location, at, ok = parse_probe_id(text)
    from sla_ledger.domain.time import from_us

    return target, location, from_us(at), ok


@settings(max_examples=sized(25, 500))
@given(data=st.data())
def test_an_incident_is_declared_and_resolved_as_given_or_refused(world: Template, data) -> None:
    counter.count()
    ids = world.ids
    services = data.draw(either(SERVICES))
    start, end = data.draw(windows())
    start = data.draw(either(st.just(start)))
    end = data.draw(either(st.sampled_from([end, None])))
    reason = data.draw(either(st.just("power cut")))
    which = data.draw(ids_from(ids.open_incident, ids.incident))
    resolved_at = data.draw(either(past_instants()))
    with world.copy() as (ledger, _):
        declared = attempt(ledger, ledger.declare_incident, services, start, end, reason)
        if declared.accepted:
            incident = ledger.catch_up().incidents[declared.value]
            assert incident.services == tuple(services)
            assert incident.start == to_us(start)
            assert incident.end == (None if end is None else to_us(end))
        resolved = attempt(ledger, ledger.resolve_incident, which, resolved_at)
        if resolved.accepted:
            incident = ledger.catch_up().incidents[which]
            assert incident.resolutions[-1][1] == to_us(resolved_at)


@settings(max_examples=sized(25, 500))
@given(data=st.data())
def test_maintenance_is_announced_moved_and_cancelled_as_given_or_refused(
    world: Template, data
) -> None:
    counter.count()
    ids = world.ids
    services = data.draw(either(SERVICES))
    start, end = data.draw(windows())
    reason = data.draw(either(st.just("upgrade")))
    window = data.draw(either(st.just((start, end)), odds=2))
    window = window if isinstance(window, tuple) and len(window) == 2 else (window, end)
    which = data.draw(ids_from(ids.announcement, ids.cancelled))
    moved = data.draw(windows())
    moved = (data.draw(either(st.just(moved[0]))), data.draw(either(st.just(moved[1]))))
    with world.copy() as (ledger, _):
        announced = attempt(ledger, ledger.announce_maintenance, services, *window, reason)
        if announced.accepted:
            history = ledger.catch_up().maintenance[announced.value]
            assert history.services == tuple(services)
            assert history.versions[-1][1:] == (to_us(window[0]), to_us(window[1]), False)
        rescheduled = attempt(ledger, ledger.reschedule_maintenance, which, *moved)
        if rescheduled.accepted:
            history = ledger.catch_up().maintenance[which]
            assert history.versions[-1][1:] == (to_us(moved[0]), to_us(moved[1]), False)
        cancelled = attempt(
            ledger, ledger.cancel_maintenance, which, data.draw(either(st.just("")))
        )
        if cancelled.accepted:
            assert ledger.catch_up().maintenance[which].versions[-1][3]
