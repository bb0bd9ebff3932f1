"""Verify a ledger by replay: every leaf, every statement and every credit, from the events alone.

``verify`` reads the log from its first event into a fresh fold, independent of
the ledger's own state, and checks:

- each event still hashes to the leaf recorded with it, and no recorded leaf
  lacks its event (edited, deleted, reordered or forged rows);
- recording instants never go backwards (R14: a backdated row is forged);
- each statement, restatement and credit (response statements and response
  credits too) equals what the close computes from the events before it, the
  log digest on the statement included;
- optionally, that the log extends a digest saved earlier (RFC 6962 consistency).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from eventsourcing.persistence import Notification

from sla_ledger import collector
from sla_ledger.adapters.jsonl import leaf_of
from sla_ledger.adapters.log_leaves import UNORDERED, LeafStore, stamp
from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import decide
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.response_closing import decide_responses
from sla_ledger.domain.statement import LogDigest
from sla_ledger.domain.time import format_instant, to_us
from sla_ledger.merkle import Frontier, ProofError, consistency_proof, verify_consistency

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

PAGE = 500
CLOSE_TYPES = (
    "StatementIssued",
    "StatementRestated",
    *ev.CREDIT_TYPES,
    *ev.RESPONSE_STATEMENT_TYPES,
    *ev.RESPONSE_CREDIT_TYPES,
)
Close = (
    ev.StatementIssued
    | ev.StatementRestated
    | ev.CreditEvent
    | ev.ResponseStatementIssued
    | ev.ResponseStatementRestated
)
Statements = (
    ev.StatementIssued,
    ev.StatementRestated,
    ev.ResponseStatementIssued,
    ev.ResponseStatementRestated,
)


@dataclass(frozen=True)
class Finding:
    """One thing verification found wrong, at a log position where it can say."""

    kind: str
    position: int | None
    message: str


@dataclass
class VerifyReport:
    """What ``verify`` checked, and every finding; ``ok`` when there is none."""

    events: int = 0
    statements: int = 0
    credits: int = 0
    response_statements: int = 0
    response_credits: int = 0
    digest: LogDigest | None = None
    saved: LogDigest | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, kind: str, position: int | None, message: str) -> None:
        self.findings.append(Finding(kind, position, message))


def verify(
    ledger: SlaLedger,
    saved: LogDigest | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Replay the ledger's whole log and check it; see the module's docstring.

    Args:
        saved: a digest saved earlier; the log must be an append-only extension of it.
        on_progress: called after each page with the number of events read so far.
    """
    with collector.paused():
        return _verify(ledger, saved, on_progress)


def _verify(
    ledger: SlaLedger, saved: LogDigest | None, on_progress: Callable[[int], None] | None
) -> VerifyReport:
    report = VerifyReport(saved=saved)
    closes = _closes_by_size(ledger, report)
    replay = _Replay(ledger, report, closes)
    for notification, leaf in _with_leaves(ledger, report, on_progress):
        replay.step(notification, leaf)
    report.digest = LogDigest(size=replay.tree.size, root=replay.tree.root().hex())
    for size, group in closes.items():
        if size > replay.tree.size:
            for position, _ in group:
                report.add(
                    "statement",
                    position,
                    f"computed from the first {size} events, but the log has only "
                    f"{replay.tree.size}",
                )
    if saved is not None:
        _check_saved(report, saved, replay.leaves)
    return report


def _closes_by_size(ledger: SlaLedger, report: VerifyReport) -> dict[int, list[tuple[int, Close]]]:
    """Recorded statements and credits, grouped by the size of the log they were computed from."""
    groups: dict[int, list[tuple[int, Close]]] = defaultdict(list)
    computed_at: dict[Any, int] = {}  # stream -> size its latest statement was computed at
    for notification in _pages(ledger, CLOSE_TYPES):
        try:
            event = cast(Close, ledger.mapper.to_domain_event(notification))
        except Exception:
            continue
        if isinstance(event, Statements):
            digest = event.statement.log_digest
            if digest is None:
                report.add(
                    "statement", notification.id, "statement records no log digest to replay at"
                )
                continue
            computed_at[event.originator_id] = digest.size
        size = computed_at.get(event.originator_id)
        if size is not None:
            groups[size].append((notification.id, event))
    return groups


class _Replay:
    """A fresh fold of the log, checking each event and each close as it goes."""

    def __init__(
        self,
        ledger: SlaLedger,
        report: VerifyReport,
        closes: dict[int, list[tuple[int, Close]]],
    ) -> None:
        self.ledger, self.report, self.closes = ledger, report, closes
        self.state = LedgerState()
        self.tree = Frontier()
        self.leaves: list[bytes] = []
        self.last_recorded = 0
        # Where each group's first event lies: the log must have reached its size by then.
        self.due = {min(p for p, _ in group): size for size, group in closes.items()}

    def step(self, notification: Notification, recorded: bytes | None) -> None:
        position, report = notification.id, self.report
        report.events += 1
        size = self.due.pop(position, None)
        if size is not None and size in self.closes:
            for at, close in self.closes.pop(size):
                report.add(
                    "digest",
                    at,
                    f"{_name(close)} was computed from the first {size} events of the "
                    f"log, but only {self.tree.size} precede it: earlier events were deleted",
                )
        try:
            event = cast(ev.DomainEvent, self.ledger.mapper.to_domain_event(notification))
        except Exception as error:
            why = " ".join(str(error).split())
            report.add("undecodable", position, f"the stored event cannot be read: {why}")
            return
        leaf = leaf_of(event)
        if recorded is None:
            report.add("leaf", position, f"{_name(event)} has no leaf recorded with it")
        elif recorded != leaf:
            report.add(
                "leaf", position, f"{_name(event)} no longer hashes to the leaf recorded with it"
            )
        at = stamp(event)
        if at != UNORDERED:  # a region binding stands outside the order
            if at < self.last_recorded:
                report.add(
                    "time",
                    position,
                    f"{_name(event)} is recorded at {format_instant(at)}, before "
                    f"the event preceding it ({format_instant(self.last_recorded)})",
                )
            self.last_recorded = max(self.last_recorded, at)
        self.state.apply(event, position)
        self.tree.append(leaf)
        self.leaves.append(leaf)
        if self.tree.size in self.closes:
            self._check_closes(self.closes.pop(self.tree.size))

    def _check_closes(self, group: list[tuple[int, Close]]) -> None:
        """Decide again, from the state the close saw, what it should have recorded."""
        state = self.state
        state.digest = LogDigest(size=self.tree.size, root=self.tree.root().hex())
        keys_at: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        responses_at: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for _, recorded in group:
            if isinstance(recorded, ev.StatementIssued | ev.StatementRestated):
                s = recorded.statement
                if s.contract_id in state.contracts:
                    keys_at[to_us(s.known_at)].append((s.contract_id, s.line_id, s.month))
            elif isinstance(recorded, ev.ResponseStatementIssued | ev.ResponseStatementRestated):
                r = recorded.statement
                if r.contract_id in state.contracts:
                    responses_at[to_us(r.known_at)].append((r.contract_id, r.month))
        expected = {}
        for now in keys_at.keys() | responses_at.keys():
            # As the close does: availability first, responses combined with them.
            decisions = decide(state, keys_at[now], now)
            decisions += decide_responses(state, responses_at[now], now, decisions)
            for decision in decisions:
                for e in decision.events:
                    expected[(e.originator_id, e.originator_version)] = e
        for position, recorded in group:
            self._count(recorded)
            key = (recorded.originator_id, recorded.originator_version)
            self._compare(position, recorded, expected.get(key))

    def _count(self, recorded: Close) -> None:
        if isinstance(recorded, ev.StatementIssued | ev.StatementRestated):
            self.report.statements += 1
        elif isinstance(recorded, ev.CreditIssued | ev.CreditAdjusted):
            self.report.credits += 1
        elif isinstance(recorded, ev.ResponseStatementIssued | ev.ResponseStatementRestated):
            self.report.response_statements += 1
        else:
            self.report.response_credits += 1

    def _compare(self, position: int, recorded: Close, expected: ev.DomainEvent | None) -> None:
        name = _name(recorded)
        if expected is None:
            self.report.add("statement", position, f"{name}: the replay issues nothing here")
            return
        was_made, replayed = _comparable(recorded), _comparable(expected)
        if "terms" not in was_made.get("statement", {"terms": None}):
            # Recorded before statements named their terms (sla-ledger 0.1.0): the rest
            # of it still has to match.
            replayed["statement"].pop("terms", None)
        if was_made == replayed:
            return
        if isinstance(recorded, Statements):
            assert isinstance(expected, Statements)
            was, now = recorded.statement.log_digest, expected.statement.log_digest
            if was != now:
                self.report.add(
                    "digest",
                    position,
                    f"{name} was computed from the log {was}, but its first "
                    f"{self.tree.size} events now hash to {now}: an earlier event was changed",
                )
                return
        differences = _differences(was_made, replayed)
        self.report.add("statement", position, f"{name} differs from the replay: {differences}")


def _comparable(event: ev.DomainEvent) -> dict[str, Any]:
    # The position a statement was computed at is this store's numbering; the
    # digest's size says the same thing portably, so that is what is compared.
    return event.model_dump(mode="json", exclude={"statement": {"log_position"}})


def _differences(recorded: dict[str, Any], expected: dict[str, Any], path: str = "") -> str:
    found: list[str] = []
    for key in sorted(set(recorded) | set(expected)):
        a, b = recorded.get(key), expected.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{path}{key}.")
            if inner:
                found.append(inner)
        elif a != b:
            found.append(f"{path}{key} recorded {_short(a)}, replayed {_short(b)}")
    return "; ".join(found)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _name(event: ev.DomainEvent) -> str:
    return f"{type(event).__name__} {event.originator_id} v{event.originator_version}"


def _pages(ledger: SlaLedger, topics: tuple[str, ...] = ()) -> Iterator[Notification]:
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=PAGE, topics=topics)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1].id + 1


def _with_leaves(
    ledger: SlaLedger, report: VerifyReport, on_progress: Callable[[int], None] | None
) -> Iterator[tuple[Notification, bytes | None]]:
    """Each stored event with the leaf recorded at its position; reports leaves without events."""
    store = cast(LeafStore, ledger.recorder)
    after, read = 0, 0
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=PAGE)
        last = page[-1].id if len(page) == PAGE else 2**62
        leaves = store.select_leaves(after + 1, last)
        for notification in page:
            yield notification, leaves.pop(notification.id, None)
        for position in sorted(leaves):
            report.add("missing", position, "a leaf was recorded here but the event is gone")
        read += len(page)
        if on_progress:
            on_progress(read)
        if len(page) < PAGE:
            return
        after, start = last, last + 1


def _check_saved(report: VerifyReport, saved: LogDigest, leaves: list[bytes]) -> None:
    assert report.digest is not None
    if saved.size > len(leaves):
        report.add(
            "digest",
            None,
            f"the saved digest {saved} covers {saved.size} events; the log has only {len(leaves)}",
        )
        return
    proof = consistency_proof(saved.size, leaves)
    try:
        verify_consistency(
            saved.size,
            bytes.fromhex(saved.root),
            report.digest.size,
            bytes.fromhex(report.digest.root),
            proof,
        )
    except ProofError as error:
        report.add(
            "digest",
            None,
            f"the log is not an append-only extension of the saved digest {saved}: {error}",
        )
