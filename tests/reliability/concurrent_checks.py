"""What the concurrency suite checks once every worker has exited."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from urllib.parse import urlsplit
from uuid import UUID

from sla_ledger import Probe, SlaLedger
from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import close_due
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.response_closing import close_due_responses
from sla_ledger.domain.time import from_us, to_us
from tests.reliability.concurrent_scenario import Report

STATEMENTS = (ev.StatementIssued, ev.StatementRestated)
RESPONSES = (ev.ResponseStatementIssued, ev.ResponseStatementRestated)
FIRST = (ev.StatementIssued, ev.ResponseStatementIssued)
FIRST_CREDITS = (ev.CreditIssued, ev.ResponseCreditIssued)


@dataclass
class Log:
    """The store's log, decoded, in order."""

    events: list[tuple[int, ev.DomainEvent]]
    streams: dict[UUID, list[ev.DomainEvent]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, ledger: SlaLedger) -> Log:
        log = cls([])
        start = 1
        while page := ledger.recorder.select_notifications(start=start, limit=1000):
            for notification in page:
                event = ledger.mapper.to_domain_event(notification)
                log.events.append((notification.id, event))
                if isinstance(event, ev.CLOSE):
                    log.streams[event.originator_id].append(event)
            start = page[-1].id + 1
        return log

    def count(self, *types: type) -> int:
        return sum(1 for _, e in self.events if isinstance(e, types))


def _groups(stream: list[ev.DomainEvent]) -> list[list[ev.DomainEvent]]:
    """A statement stream cut into its versions: each statement with the credits after it."""
    groups: list[list[ev.DomainEvent]] = []
    for event in stream:
        if isinstance(event, STATEMENTS + RESPONSES):
            groups.append([event])
        else:
            assert groups, f"a credit before any statement in its stream: {event}"
            groups[-1].append(event)
    return groups


def check_statement_streams(log: Log, ledger: SlaLedger) -> None:
    """One statement per version, each restatement justified by evidence no other version
    cites and changing the figures; first credits only with the first version,
    adjustments only with restatements, and a line credited what R12 says."""
    contracts = ledger.catch_up().contracts
    for stream in log.streams.values():
        assert [e.originator_version for e in stream] == list(range(1, len(stream) + 1))
        groups = _groups(stream)
        assert isinstance(groups[0][0], FIRST), groups[0][0]
        assert sum(isinstance(g[0], FIRST) for g in groups) == 1
        cited: set[tuple[UUID, int]] = set()
        for number, group in enumerate(groups, 1):
            statement = group[0].statement  # type: ignore[attr-defined]
            assert statement.version == number
            if number > 1:
                changes = {(r.originator_id, r.originator_version) for r in statement.changed_by}
                assert changes and not changes & cited, statement.changed_by
                cited |= changes
                previous = groups[number - 2][0].statement  # type: ignore[attr-defined]
                assert statement.figures() != previous.figures()
            kinds = FIRST_CREDITS if number == 1 else (ev.CreditAdjusted, ev.ResponseCreditAdjusted)
            assert all(isinstance(c, kinds) for c in group[1:]), group[1:]
        if isinstance(groups[0][0], ev.StatementIssued):
            first = groups[0][0].statement
            clawback = contracts[first.contract_id].terms_for(first.month).clawback
            _check_credited(groups, clawback)


def _check_credited(groups: list[list[ev.DomainEvent]], clawback: bool) -> None:
    """Without clawback a line keeps the most it was ever credited; with it, the last."""
    figures = [g[0].statement.credit for g in groups]  # type: ignore[attr-defined]
    credited = sum((c.amount for g in groups for c in g[1:]), Decimal(0))  # type: ignore[attr-defined]
    assert credited == (figures[-1] if clawback else max(figures))


def check_one_stream_per_key(log: Log, workers: int) -> Counter[str]:
    """Every contract line and month has its statement stream, every supported
    contract and month its response stream; exactly one first statement each."""
    firsts: Counter[tuple[str, ...]] = Counter()
    for _, event in log.events:
        if isinstance(event, ev.StatementIssued):
            s = event.statement
            firsts[("availability", s.contract_id, s.line_id, s.month)] += 1
        elif isinstance(event, ev.ResponseStatementIssued):
            firsts[("response", event.statement.contract_id, event.statement.month)] += 1
        elif isinstance(event, ev.CreditIssued | ev.ResponseCreditIssued):
            firsts[(type(event).__name__, event.contract_id, event.line_id, event.month)] += 1
    assert set(firsts.values()) == {1}, [k for k, n in firsts.items() if n > 1]
    kinds = Counter(key[0] for key in firsts)
    assert kinds["availability"] == workers * 2 * 3
    assert kinds["response"] == (workers + 1) // 2 * 3
    return kinds


def check_evidence(log: Log, reports: list[Report], expected: set[Probe]) -> int:
    """Every batch a worker was told was recorded holds exactly what it was told, no
    probe is recorded twice, and every probe sent is in the ledger."""
    batches = {str(e.originator_id): e for _, e in log.events if isinstance(e, ev.ProbesRecorded)}
    recorded: Counter[Probe] = Counter()
    for batch in batches.values():
        for series in batch.series:
            for at, ok in zip(series.at, series.ok, strict=True):
                recorded[Probe(series.target, series.location, from_us(at), ok)] += 1
    told = 0
    for report in reports:
        for batch_id, count, duplicates, sent in report.receipts:
            assert count + duplicates == sent
            assert (batch_id is None) == (count == 0)
            if batch_id is not None:
                batch = batches.pop(batch_id)
                assert sum(len(s.at) for s in batch.series) == count
            told += count
    assert not batches, f"batches nobody was told about: {sorted(batches)}"
    assert set(recorded.values()) == {1}
    assert set(recorded) == {p._replace(at=p.at.astimezone(UTC)) for p in expected}
    assert told == len(expected)
    incidents = {str(e.originator_id) for _, e in log.events if isinstance(e, ev.IncidentDeclared)}
    assert incidents == {i for r in reports for i in r.incidents}
    return told


def check_serial_figures(log: Log, ledger: SlaLedger) -> int:
    """The latest versions equal the first versions one close would issue, alone, from
    the same evidence (a fold without the figures recorded concurrently)."""
    state = LedgerState()
    for position, event in log.events:
        if not isinstance(event, ev.CLOSE):
            state.apply(event, position)
    state.evidence.settle()
    now = to_us(ledger.clock.now())
    decisions = close_due(state, now)
    decisions += close_due_responses(state, now, None, decisions)
    serial = {d.key: d.events[0].statement for d in decisions}  # type: ignore[attr-defined]
    latest = {(s.contract_id, s.line_id, s.month): s for s in ledger.statements()} | {
        ("response", r.contract_id, r.month): r for r in ledger.response_statements()
    }
    assert serial.keys() == latest.keys()
    for key, statement in serial.items():
        assert latest[key].figures() == statement.figures(), key
    return len(serial)


def check_no_locks_left(url: str) -> None:
    """No session of the store's database is in a transaction, or holds or awaits a lock."""
    import psycopg

    database = urlsplit(url).path.strip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        busy = conn.execute(
            "SELECT pid, state, query FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND state NOT IN ('idle')",
            (database,),
        ).fetchall()
        locks = conn.execute(
            "SELECT l.pid, l.locktype, l.mode, l.granted FROM pg_locks l "
            "JOIN pg_database d ON d.oid = l.database WHERE d.datname = %s "
            "AND l.pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    assert not busy, busy
    assert not locks, locks


class LockWatch:
    """Counts, while the workers run, the sessions of a PostgreSQL database waiting for a
    lock (the events table's write lock, mostly): the most at once is a figure."""

    def __init__(self, url: str) -> None:
        self.url, self.most, self.samples = url, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> LockWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import psycopg

        database = urlsplit(self.url).path.strip("/")
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND wait_event_type = 'Lock'",
                    (database,),
                ).fetchone()
                self.most = max(self.most, row[0] if row else 0)
                self.samples += 1
