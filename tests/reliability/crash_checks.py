"""What the crash suite checks in a store after a kill, and what it compares at the end.

Everything here reads the store's own log (not the ledger's projection), so that a
half-written batch, an event recorded twice or a probe-index row without its
event is seen as it is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from sla_ledger import SlaLedger, Statement
from sla_ledger.adapters.probe_index import ProbeIndex, series_key
from sla_ledger.domain import events as ev
from sla_ledger.domain.time import to_us

PAGE = 500
ProbeKey = tuple[str, str, int, bool]  # target, location, instant (us), up
LineMonth = tuple[str, str, str]  # contract, line, month
STATEMENTS = (ev.StatementIssued, ev.StatementRestated)


@dataclass
class Log:
    """A store's log, read event by event."""

    events: list[ev.DomainEvent] = field(default_factory=list)
    probes: Counter[ProbeKey] = field(default_factory=Counter)

    @property
    def topics(self) -> Counter[str]:
        return Counter(type(event).__name__ for event in self.events)

    def of(self, *types: type[ev.DomainEvent]) -> list[ev.DomainEvent]:
        return [event for event in self.events if isinstance(event, types)]


def read_log(ledger: SlaLedger) -> Log:
    log = Log()
    position = 0
    while page := ledger.recorder.select_notifications(start=position + 1, limit=PAGE):
        for notification in page:
            event = cast(ev.DomainEvent, ledger.mapper.to_domain_event(notification))
            log.events.append(event)
            if isinstance(event, ev.ProbesRecorded):
                for series in event.series:
                    for at, ok in zip(series.at, series.ok, strict=True):
                        log.probes[(series.target, series.location, at, bool(ok))] += 1
        position = page[-1].id
    return log


def keys(probes: Iterable[object]) -> set[ProbeKey]:
    """The keys of probes as sent (``sla_ledger.Probe``)."""
    return {(p.target, p.location, to_us(p.at), p.ok) for p in probes}  # type: ignore[attr-defined]


# -- after every kill ----------------------------------------------------------------------------


def assert_sound(ledger: SlaLedger, why: str) -> Log:
    """Verification by replay passes, no probe is recorded twice, and the probe index
    holds exactly the probes of the recorded batches (it is written with them)."""
    report = ledger.verify()
    assert report.ok, f"{why}: verify found {report.findings[:3]}"
    log = read_log(ledger)
    twice = [key for key, n in log.probes.items() if n > 1]
    assert not twice, f"{why}: {len(twice)} probes recorded twice, e.g. {twice[0]}"
    series: defaultdict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for target, location, at, ok in log.probes:
        series[(target, location)].add((at, int(ok)))
    index = cast(ProbeIndex, ledger.recorder)
    for service in ledger.services():
        for location in service.locations:
            rows = index.existing_probes(series_key(service.service_id, location), 0, 2**62)
            assert set(rows) == series[(service.service_id, location)], (
                f"{why}: the probe index of {service.service_id}@{location} holds "
                f"{len(rows)} rows for {len(series[(service.service_id, location)])} probes"
            )
    return log


def assert_batches_whole(
    log: Log, batches: list[set[ProbeKey]], reported: Iterable[int], why: str
) -> int:
    """Each batch is in the log whole or not at all, and every batch the worker saw
    committed is there; returns how many batches are."""
    whole = 0
    for number, batch in enumerate(batches):
        present = sum(1 for key in batch if key in log.probes)
        assert present in (0, len(batch)), (
            f"{why}: batch {number} is partly visible: {present} of its {len(batch)} probes"
        )
        whole += present == len(batch)
    for number in reported:
        assert all(key in log.probes for key in batches[number]), (
            f"{why}: batch {number} was reported committed but is not in the store"
        )
    foreign = set(log.probes).difference(*batches)
    assert not foreign, f"{why}: {len(foreign)} probes that no batch sent"
    return whole


def assert_closes_whole(log: Log, reference: Log, why: str) -> None:
    """Each close is all or nothing: of the statements that one close of the
    uninterrupted run recorded together, all are there or none, each with its credit
    or adjustment; and no statement or credit is there twice."""
    statements = Counter(_key(e) for e in log.of(*STATEMENTS))
    twice = [key for key, n in statements.items() if n > 1]
    assert not twice, f"{why}: statements recorded twice: {twice}"
    for recorded_at, together in _closes(reference).items():
        there = together & set(statements)
        assert there in (set(), together), (
            f"{why}: of the {len(together)} statements the close at {recorded_at} records, "
            f"only {sorted(there)} are there"
        )
    credits = Counter(_key(e) for e in log.of(ev.CreditIssued, ev.CreditAdjusted))
    twice = [key for key, n in credits.items() if n > 1]
    assert not twice, f"{why}: credits recorded twice: {twice}"
    credited = {_key(e) for e in reference.of(ev.CreditIssued, ev.CreditAdjusted)}
    expected = credited & set(statements)
    assert set(credits) == expected, f"{why}: credits {sorted(credits)}, expected {expected}"


def _key(event: ev.DomainEvent) -> tuple[str, str, str, int]:
    """A statement version's key, or the key of the statement version a credit is for."""
    if isinstance(event, ev.CreditEvent):
        return event.contract_id, event.line_id, event.month, event.statement_version
    s = cast(ev.StatementIssued, event).statement
    return s.contract_id, s.line_id, s.month, s.version


def _closes(log: Log) -> dict[object, set[tuple[str, str, str, int]]]:
    """The statements of each close, by the instant it recorded them at (one a close)."""
    closes: defaultdict[object, set[tuple[str, str, str, int]]] = defaultdict(set)
    for event in log.of(*STATEMENTS):
        closes[event.recorded_at].add(_key(event))
    return dict(closes)


# -- at the end: the figures of an uninterrupted run ---------------------------------------------


def figures(ledger: SlaLedger) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every statement's figures and every credit, without what differs between two
    stores recording the same facts (event ids, log digests, the instants a store
    recorded them, which a CLI run takes from the system clock)."""
    credits = [
        (c.kind, c.contract_id, c.line_id, c.month, c.amount, c.currency, c.statement_version)
        for c in ledger.credits(limit=10_000)
    ]
    return [_figures(s) for s in ledger.statements()], credits


def _figures(s: Statement) -> tuple[object, ...]:
    return (
        (s.contract_id, s.line_id, s.month, s.version, s.period_start, s.period_end),
        (s.active, s.excluded, s.eligible, s.down, s.unknown, s.unavailable),
        (s.availability, s.availability_percent, s.met, s.credit_percent, s.base, s.credit),
        tuple((o.start, o.end, o.duration, o.cause) for o in s.outages),
        tuple((m.start, m.end, m.status, m.excluded) for m in s.maintenance),
        (len(s.changed_by), len(s.corrections), s.currency),
    )
