"""``SlaLedger``: the application a billing service, an operator or an auditor uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    MapperDeserialisationError,
    Notification,
    StoredEvent,
)

from sla_ledger import collector
from sla_ledger.adapters.event_mapper import NoTranscoder, PydanticMapper
from sla_ledger.adapters.jsonl import leaf_of
from sla_ledger.adapters.log_leaves import ClockBehind, LeafStore, stamp
from sla_ledger.adapters.probe_index import ProbeRow
from sla_ledger.application_audit import AuditQueries
from sla_ledger.application_support import SupportCommands
from sla_ledger.arguments import checked
from sla_ledger.clock import Clock, SystemClock
from sla_ledger.domain import commands, residency
from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import Decision, close_due
from sla_ledger.domain.evidence import FOREVER, Probe
from sla_ledger.domain.ingest import FUTURE_SKEW, group_probes
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.response_closing import close_due_responses
from sla_ledger.domain.response_statement import ResponseStatement
from sla_ledger.domain.statement import LogDigest, Statement
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.domain.time import (
    from_us,
    parse_month,
    to_us,
)
from sla_ledger.exceptions import (
    InvalidArgument,
    InvalidEvidence,
    SlaLedgerError,
    StoreError,
)
from sla_ledger.ingestion import ProbeReceipt, probe_batch
from sla_ledger.merkle import Frontier

PAGE = 500
PAGE_MAX = 2**31 - 1  # the most credits one call returns, whatever ``limit`` asks
POSITION_MAX = 2**63 - 1  # the last log position the stores' 64-bit integers can hold
# Each lost race means another writer's commit went through, so retrying is progress;
# a stamp is cheap to redo, a close is decided again (and at last stream by stream).
STAMP_ATTEMPTS = 100
CLOSE_ATTEMPTS = 5
_STATEMENTS = (
    ev.StatementIssued,
    ev.StatementRestated,
    ev.ResponseStatementIssued,
    ev.ResponseStatementRestated,
)


@dataclass(frozen=True)
class CreditEntry:
    """One credit or adjustment, at its position in the log (the billing feed)."""

    position: int
    kind: str
    contract_id: str
    line_id: str
    month: str
    amount: Decimal
    currency: str
    statement_version: int
    recorded_at: datetime


@dataclass(frozen=True)
class ClosedMonths:
    """What one close issued or restated, in the order recorded."""

    statements: list[Statement]
    response_statements: list[ResponseStatement]


@dataclass(frozen=True)
class TransferAuthorisation:
    """Leave to move the ledger's records (or one customer's) to another region."""

    authorisation_id: UUID
    from_region: str
    to_region: str
    agreement: str
    authorised_by: str
    customer: str | None
    recorded_at: datetime


class SlaLedger(SupportCommands, AuditQueries, Application[UUID]):
    """An event-sourced SLA ledger. Open one with :func:`sla_ledger.open_ledger`."""

    name = "SlaLedger"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None) -> None:
        try:
            super().__init__(env)
        except SlaLedgerError:
            raise
        except Exception as error:
            raise StoreError(f"cannot open the ledger store: {error}") from None
        self.clock: Clock = clock or SystemClock()
        self._state = LedgerState()
        self._log = Frontier()  # the Merkle tree of the log folded into _state
        self._leaves = cast(LeafStore, self.recorder)

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(
            transcoder=NoTranscoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    # -- reading the log -------------------------------------------------------------------

    def catch_up(self, on_progress: Callable[[int], None] | None = None) -> LedgerState:
        """Fold events recorded since the last look (by any process) into the state.

        Args:
            on_progress: called after each page with the log position folded up to.
        """
        state = self._state
        with collector.paused():
            while True:
                page = self.recorder.select_notifications(start=state.position + 1, limit=PAGE)
                leaves = self._leaves.select_leaves(page[0].id, page[-1].id) if page else {}
                for notification in page:
                    event = self._decode(notification)
                    state.apply(event, notification.id)
                    self._log.append(leaves.get(notification.id) or leaf_of(event))
                if on_progress and page:
                    on_progress(state.position)
                if len(page) < PAGE:
                    state.evidence.settle()
                    state.digest = self._digest()
                    return state

    def _decode(self, notification: Notification) -> ev.DomainEvent:
        try:
            return cast(ev.DomainEvent, self.mapper.to_domain_event(notification))
        except MapperDeserialisationError as error:
            raise StoreError(
                f"cannot read the event at log position {notification.id}: "
                f"{' '.join(str(error).split())}; "
                "'sla-ledger verify' lists every event that cannot be read"
            ) from None

    @property
    def position(self) -> int:
        """The log position the ledger has read up to."""
        return self.catch_up().position

    def _now(self) -> datetime:
        """Knowledge time: the clock, but never before what the log already holds (R14)."""
        now = self.clock.now()
        last = self._state.last_recorded
        return now if to_us(now) >= last else from_us(last)

    def _save(self, *events: ev.DomainEvent, **kwargs: Any) -> None:
        for attempt in range(STAMP_ATTEMPTS):
            leaves = [(leaf_of(event), stamp(event)) for event in events]
            try:
                recordings = self.save(*events, leaves=leaves, **kwargs)
                break
            except ClockBehind:
                # Another writer committed events stamped after ours: stamp ours again,
                # unless they are figures, which are decided again from the new state.
                if attempt + 1 == STAMP_ATTEMPTS or any(isinstance(e, ev.CLOSE) for e in events):
                    raise
                self.catch_up()
                now = self._now()
                events = tuple(e.model_copy(update={"recorded_at": now}) for e in events)
        state = self._state
        ids = [r.notification.id for r in recordings]
        if ids and ids == list(range(state.position + 1, state.position + 1 + len(ids))):
            # Nothing was recorded by anyone else in between: fold what we just wrote.
            for recording, (leaf, _) in zip(recordings, leaves, strict=True):
                state.apply(cast(ev.DomainEvent, recording.domain_event), recording.notification.id)
                self._log.append(leaf)
            state.digest = self._digest()
        else:
            self.catch_up()

    def _digest(self) -> LogDigest:
        return LogDigest(size=self._log.size, root=self._log.root().hex())

    # -- import ------------------------------------------------------------------------------

    def import_events(
        self,
        events: Sequence[StoredEvent],
        probe_rows: Iterable[ProbeRow] = (),
        leaves: Sequence[tuple[bytes, int]] = (),
    ) -> None:
        """Append events recorded elsewhere, as they are (ids and ``recorded_at`` kept),
        with the probe-index rows of their probe batches and their log leaves
        (``(sla_ledger.adapters.jsonl.leaf_of(event), log_leaves.stamp(event))``), in
        one transaction.

        Nothing here checks them: use :func:`sla_ledger.adapters.jsonl.import_jsonl`,
        which does, and calls this. ``probe_rows`` may be iterated again if the store
        retries the write. A clash with stored events or probes raises eventsourcing's
        ``PersistenceError`` (usually ``IntegrityError``, or ``ClockBehind`` when another
        writer recorded events after the first one's ``recorded_at``) and writes nothing.
        """
        try:
            self.recorder.insert_events(events, probe_rows=probe_rows, leaves=leaves)
        finally:
            self.catch_up()

    # -- residency ---------------------------------------------------------------------------

    @property
    def region(self) -> str | None:
        """The region the store is bound to; None when unbound (it then accepts any region)."""
        return self.catch_up().region

    @checked
    def bind_region(self, region: str) -> None:
        """Bind the store to ``region``; :func:`~sla_ledger.open_ledger` does it on creation.

        Nothing happens when it is bound to ``region`` already. ``ResidencyViolation``
        when it is bound to another region, or holds a contract or service of one.
        """
        event = residency.bind(self.catch_up(), region, self._now())
        if event is None:
            return
        try:
            self._save(event)
        except IntegrityError:
            # Another process bound it first: bind() refuses unless it chose this region.
            if residency.bind(self.catch_up(), region, self._now()) is not None:
                raise

    @checked
    def authorise_transfer(
        self, to_region: str, agreement: str, authorised_by: str, customer: str | None = None
    ) -> UUID:
        """Record leave to move this ledger's records to ``to_region``; return its id.

        A store of ``to_region`` then imports an export of this ledger made after it.

        Args:
            agreement: the written agreement that allows it, e.g. ``"MSA-2026-17 §9.3"``.
            authorised_by: who authorised it.
            customer: only this customer's contracts and the services they measure
                (an export for that customer); default every record of the ledger.
        """
        state = self.catch_up()
        event = residency.authorise(
            state, to_region, agreement, authorised_by, customer, self._now()
        )
        return self._save_id(event)

    def transfers(self) -> list[TransferAuthorisation]:
        """Every transfer authorisation in the log, in order (imported ones included)."""
        return [
            TransferAuthorisation(
                authorisation_id=t.originator_id,
                from_region=t.from_region,
                to_region=t.to_region,
                agreement=t.agreement,
                authorised_by=t.authorised_by,
                customer=t.customer,
                recorded_at=t.recorded_at,
            )
            for t in self.catch_up().transfers
        ]

    # -- terms -------------------------------------------------------------------------------

    @checked
    def register_service(self, service: Service) -> None:
        """Record a service with its probe locations and topology."""
        event = commands.register_service(self.catch_up(), service, self._now())
        if event is not None:
            self._save(event)

    @checked
    def sign_contract(self, contract: Contract) -> None:
        """Record a new contract; every line's service must be registered."""
        self._save(commands.sign_contract(self.catch_up(), contract, self._now()))

    @checked
    def amend_contract(self, contract: Contract) -> str:
        """Record new terms for a contract; they apply from the next month (R13). Returns it."""
        event = commands.amend_contract(self.catch_up(), contract, self._now())
        self._save(event)
        return event.effective_month

    @checked
    def notice_termination(self, contract_id: str, ends_at: datetime | None = None) -> datetime:
        """Give notice; the contract ends no sooner than the notice period allows (R13)."""
        event = commands.notice_termination(self.catch_up(), contract_id, ends_at, self._now())
        self._save(event)
        return event.ends_at

    # -- evidence ----------------------------------------------------------------------------

    @checked
    def record_probes(self, probes: Iterable[Probe]) -> ProbeReceipt:
        """Record a batch of probe results, all or nothing; a probe sent again is recorded once."""
        state = self.catch_up()
        services = {k: v[1] for k, v in state.services.items()}
        not_after = to_us(self._now()) + FUTURE_SKEW
        groups = group_probes(probes, state.target_service, services, not_after)
        for attempt in range(3):
            # First try: the caught-up state says which series only grow at their end.
            # After a clash with a concurrent writer, ask the probe index.
            event, rows, duplicates = probe_batch(
                self._state, self.recorder, groups, self._now(), trust_state=attempt == 0
            )
            if event is None:
                return ProbeReceipt(0, duplicates, None)
            try:
                self._save(event, probe_rows=rows)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            return ProbeReceipt(len(rows), duplicates, event.originator_id)
        raise AssertionError("unreachable")

    @checked
    def invalidate_probes(self, probes: Sequence[Probe | str], reason: str) -> UUID:
        """Treat recorded probes as never recorded (R6); the correction is itself an event."""
        return self._save_id(
            commands.invalidate_probes(self.catch_up(), probes, reason, self._now())
        )

    @checked
    def declare_incident(
        self,
        services: Sequence[str],
        start: datetime,
        end: datetime | None = None,
        reason: str = "",
    ) -> UUID:
        """Declare services down over [start, end), open until resolved (R5)."""
        event = commands.declare_incident(
            self.catch_up(), services, start, end, reason, self._now()
        )
        return self._save_id(event)

    @checked
    def resolve_incident(self, incident_id: UUID, end: datetime) -> None:
        self._save(commands.resolve_incident(self.catch_up(), incident_id, end, self._now()))

    @checked
    def announce_maintenance(
        self, services: Sequence[str], start: datetime, end: datetime, reason: str = ""
    ) -> UUID:
        """Announce a maintenance window [start, end); it qualifies only with enough notice (R8)."""
        event = commands.announce_maintenance(
            self.catch_up(), services, start, end, reason, self._now()
        )
        return self._save_id(event)

    @checked
    def reschedule_maintenance(self, announcement_id: UUID, start: datetime, end: datetime) -> None:
        """Move an announced window; the move is judged at its own recording time (R8)."""
        state = self.catch_up()
        self._save(commands.reschedule_maintenance(state, announcement_id, start, end, self._now()))

    @checked
    def cancel_maintenance(self, announcement_id: UUID, reason: str = "") -> None:
        """Cancel an announcement for good: it never qualifies again (R8)."""
        state = self.catch_up()
        self._save(commands.cancel_maintenance(state, announcement_id, reason, self._now()))

    def _save_id(self, event: ev.DomainEvent) -> UUID:
        self._save(event)
        return event.originator_id

    # -- figures -----------------------------------------------------------------------------

    @checked
    def close_due_months(self, now: datetime | None = None) -> list[Statement]:
        """Issue every statement and credit that is due, and restate what new evidence changed.

        Safe to call from a scheduler every minute and from several processes at once.
        What is recorded is stamped with the ledger's clock (R14). Response statements
        and their credits are issued and restated by the same close: :meth:`close_due`
        returns them too.

        Args:
            now: decide what is due as of this instant; default and latest: the clock's time.
        """
        return self.close_due(now).statements

    @checked
    def close_due(self, now: datetime | None = None) -> ClosedMonths:
        """:meth:`close_due_months`, returning the response statements it issued or
        restated as well as the availability statements."""
        with collector.paused():
            return self._close_due(now)

    def _close_due(self, now: datetime | None) -> ClosedMonths:
        due_at = None if now is None else to_us(commands.aware(now, "now"))
        for _ in range(CLOSE_ATTEMPTS):
            state = self.catch_up()
            clock = to_us(self._now())
            if due_at is not None and due_at > clock:
                raise InvalidEvidence(
                    f"now {now} is after the ledger clock's {from_us(clock)}: "
                    "months close by the ledger's own time"
                )
            decisions = _decided(state, clock, due_at)
            try:  # usually nobody else is writing: one transaction for all
                self._save(*(event for decision in decisions for event in decision.events))
                break
            except IntegrityError:
                # Another closer got some streams first, or a writer recorded after this
                # clock: decide again from what the log holds now.
                continue
        else:  # still clashing: one stream at a time, leaving those others recorded
            self.catch_up()
            decisions = self._saved_in_turn(_decided(self._state, to_us(self._now()), due_at))
        events = [event for decision in decisions for event in decision.events]
        return ClosedMonths(
            [
                e.statement
                for e in events
                if isinstance(e, ev.StatementIssued | ev.StatementRestated)
            ],
            [
                e.statement
                for e in events
                if isinstance(e, ev.ResponseStatementIssued | ev.ResponseStatementRestated)
            ],
        )

    def _saved_in_turn(self, decisions: list[Decision]) -> list[Decision]:
        """Each decision in its own transaction. A response statement combines the
        availability statements this close decided for its contract and month (and is
        replayed with them): it waits for the next close if one of those was not saved."""
        saved, unsaved = [], set()
        for decision in decisions:
            first = decision.events[0]
            assert isinstance(first, _STATEMENTS)
            month = (first.statement.contract_id, first.statement.month)
            response = isinstance(first, ev.ResponseStatementIssued | ev.ResponseStatementRestated)
            if response and month in unsaved:
                continue
            if self._saved_alone(decision):
                saved.append(decision)
            elif not response:
                unsaved.add(month)
        return saved

    def _saved_alone(self, decision: Decision) -> bool:
        try:
            self._save(*decision.events)
        except IntegrityError:
            self.catch_up()  # another closer recorded this stream first
            return False
        return True

    @checked
    def statement_for(
        self, contract_id: str, line_id: str, month: str, as_known_at: datetime | None = None
    ) -> Statement | None:
        """The issued statement (latest version, or the one current at ``as_known_at``), or None."""
        parse_month(month)
        history = self.catch_up().statements.get((contract_id, line_id, month))
        return history.as_known_at(_known(as_known_at)) if history else None

    @checked
    def compute_statement(
        self,
        contract_id: str,
        line_id: str,
        month: str,
        as_known_at: datetime | None = None,
        until: datetime | None = None,
    ) -> Statement:
        """A statement's figures, computed now and not issued.

        Args:
            as_known_at: use only the events recorded by then (R14); default all.
            until: measure the month only up to this instant (month to date);
                default the whole month, where time nobody has seen yet is unknown.
        """
        parse_month(month)
        state = self.catch_up()
        reckoner = Reckoner(state, to_us(self._now()), _known(as_known_at), _known(until, "until"))
        return reckoner.statement(contract_id, line_id, month)

    @checked
    def statements(
        self, contract_id: str | None = None, month: str | None = None
    ) -> list[Statement]:
        """The latest version of every issued statement, optionally for one contract or month."""
        return [
            h.versions[-1]
            for (c, _, m), h in sorted(self.catch_up().statements.items())
            if h.versions and contract_id in (None, c) and month in (None, m)
        ]

    @checked
    def credits(self, after: int = 0, limit: int = 1000) -> list[CreditEntry]:
        """Credits and adjustments recorded after log position ``after``, in order:
        availability credits (``CreditIssued``, ``CreditAdjusted``) and response credits
        (``ResponseCreditIssued``, ``ResponseCreditAdjusted``), told apart by ``kind``.

        A billing service stores the last ``position`` it applied, in the same
        transaction as its own writes, and asks again from there.
        """
        if limit < 1:
            raise InvalidArgument(f"credits(): limit {limit} must be at least 1")
        if after >= POSITION_MAX:  # past any position there can be
            return []
        page = self.recorder.select_notifications(
            start=max(after, 0) + 1, limit=min(limit, PAGE_MAX), topics=ev.ALL_CREDIT_TYPES
        )
        entries = []
        for notification in page:
            event = self._decode(notification)
            assert isinstance(event, ev.CreditEvent)
            entries.append(
                CreditEntry(
                    position=notification.id,
                    kind=type(event).__name__,
                    contract_id=event.contract_id,
                    line_id=event.line_id,
                    month=event.month,
                    amount=event.amount,
                    currency=event.currency,
                    statement_version=event.statement_version,
                    recorded_at=event.recorded_at,
                )
            )
        return entries

    def services(self) -> list[Service]:
        return [service for _, service in self.catch_up().services.values()]

    def contracts(self) -> list[Contract]:
        return [h.latest_terms() for h in self.catch_up().contracts.values()]


def _decided(state: LedgerState, clock: int, due_at: int | None) -> list[Decision]:
    """What a close records: availability statements, then the response statements
    that combine their credits with response credits (docs/support.md)."""
    decisions = close_due(state, clock, due_at)
    return decisions + close_due_responses(state, clock, due_at, decisions)


def _known(instant: datetime | None, what: str = "as_known_at") -> int:
    return FOREVER if instant is None else to_us(commands.aware(instant, what))
