"""Month close is exactly once, restatements are open, credits are never clawed back.

A stateful test drives a ledger and the brute-force model side by side (R11, R12, R14).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from sla_ledger import ManualClock, open_ledger
from tests.property.brute_force import (
    MINOR_UNITS,
    ContractSpec,
    Knowledge,
    ProbeSpec,
    RescheduleSpec,
    ServiceSpec,
    evaluate,
    month_bounds,
)
from tests.property.ledger_driver import expected_of, figures_of, to_contract, to_probe, to_service

UTC = UTC
H = timedelta(hours=1)
TICK = H  # every evidence instant is on the hour; the clock runs 17 minutes off it
START = datetime(2026, 2, 20, 0, 17, tzinfo=UTC)
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
LOCS = ("l1", "l2", "l3")
SERVICE = ServiceSpec("api", LOCS, probe_interval=H, staleness=12 * H)
GRACE = H

C1 = ContractSpec(
    time_zone="UTC", starts_at=datetime(2026, 2, 11, tzinfo=UTC), unknown_counts_as="available"
)
C1_EDGE = ContractSpec(
    time_zone="UTC",
    starts_at=C1.starts_at,
    unknown_counts_as="available",
    monthly_fee=Decimal("250.00"),
    target=Decimal("99.5"),
    minimum_credit=Decimal("30.00"),
)
C2 = ContractSpec(
    time_zone="Europe/Berlin",
    starts_at=datetime(2026, 1, 31, 23, tzinfo=UTC),
    unknown_counts_as="available",
    monthly_fee=Decimal("5000"),
    currency="JPY",
    maintenance_cap=2 * H,
    min_downtime=2 * H,
)
C3 = ContractSpec(  # the one contract that allows clawback
    time_zone="America/New_York",
    starts_at=datetime(2026, 2, 1, 5, tzinfo=UTC),
    unknown_counts_as="available",
    monthly_fee=Decimal("800.00"),
    currency="USD",
    max_credit=Decimal("30"),
)
LINES = {("c1", "core"): C1, ("c1", "edge"): C1_EDGE, ("c2", "core"): C2, ("c3", "core"): C3}
CLAWBACK = {"c3"}


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


class CloseExactlyOnce(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.clock = ManualClock(START)
        self.ledger = open_ledger("memory://", clock=self.clock)
        self.ledger.register_service(to_service(SERVICE))
        c1 = to_contract(C1, "c1", "core", grace=GRACE)
        edge = to_contract(C1_EDGE, "c1", "edge").lines[0]
        self.ledger.sign_contract(c1.model_copy(update={"lines": (*c1.lines, edge)}))
        self.ledger.sign_contract(to_contract(C2, "c2", "core", grace=GRACE))
        self.ledger.sign_contract(to_contract(C3, "c3", "core", grace=GRACE, clawback=True))
        self.knowledge = Knowledge(SERVICE)
        self.kversion = 0
        self.cache: dict = {}
        self.batches: list[list[ProbeSpec]] = []
        self.open_incidents: dict[Any, datetime] = {}
        self.announcements: list[Any] = []
        self.seen: dict[tuple, tuple[int, dict]] = {}  # key -> (version, figures) last observed
        self.max_due: dict[tuple, Decimal] = {}
        self.snapshots: list[tuple[datetime, dict]] = []  # (time, key -> (version, figures))
        self.credit_position = 0

    # ------------------------------------------------------------ evidence

    def _now(self) -> datetime:
        return self.clock.now()

    def _learn(self) -> None:
        self.kversion += 1

    @rule(hours=st.integers(1, 24 * 12))
    def advance(self, hours):
        if self._now() + hours * H < datetime(2026, 6, 20, tzinfo=UTC):
            self.clock.advance(hours * H)

    @rule(extra=st.integers(0, 3))
    def advance_past_the_next_close(self, extra):
        now = self._now()
        year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
        target = (
            datetime(year, month, 1, 1, 17, tzinfo=UTC) + extra * H
        )  # Berlin closes an hour earlier
        if target < datetime(2026, 6, 20, tzinfo=UTC):
            self.clock.set(target)

    @rule(back=st.integers(0, 24 * 45), length=st.integers(1, 8), down_from=st.integers(1, 3))
    def outage_seen_by_probes(self, back, length, down_from):
        end = _hour(self._now()) - back * H
        start = end - length * H
        batch = [ProbeSpec("api", loc, start, False) for loc in LOCS[:down_from]]
        batch += [ProbeSpec("api", loc, end, True) for loc in LOCS]
        self.ledger.record_probes([to_probe(p) for p in batch])
        self.knowledge.probes += [(p, self._now()) for p in batch]
        self.batches.append(batch)
        self._learn()

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def invalidate_an_outage(self, data):
        batch = data.draw(st.sampled_from(self.batches))
        down = [p for p in batch if not p.ok]
        self.ledger.invalidate_probes([to_probe(p) for p in down], reason="broken probe location")
        self.knowledge.invalidations += [(p.key, self._now()) for p in down]
        self._learn()

    @rule(back=st.integers(0, 24 * 40), length=st.one_of(st.none(), st.integers(1, 6)))
    def declare_incident(self, back, length):
        start = _hour(self._now()) - back * H
        end = None if length is None or start + length * H > self._now() else start + length * H
        incident_id = self.ledger.declare_incident(
            services=["api"], start=start, end=end, reason="outage"
        )
        self.knowledge.incidents[incident_id] = (("api",), start, end, self._now(), [])
        if end is None:
            self.open_incidents[incident_id] = start
        self._learn()

    @precondition(lambda self: self.open_incidents)
    @rule(data=st.data())
    def resolve_incident(self, data):
        incident_id = data.draw(
            st.sampled_from(list(self.open_incidents))
        )  # ids are random: keep insertion order
        start = self.open_incidents[incident_id]
        room = int((_hour(self._now()) - start) / H)
        if room < 1:
            return
        end = start + data.draw(st.integers(1, min(room, 10))) * H
        self.ledger.resolve_incident(incident_id, end=end)
        self.knowledge.incidents[incident_id][4].append((end, self._now()))
        del self.open_incidents[incident_id]
        self._learn()

    @rule(ahead=st.integers(1, 24 * 9), length=st.integers(1, 6))
    def announce_maintenance(self, ahead, length):
        start = _hour(self._now()) + ahead * H
        ann_id = self.ledger.announce_maintenance(
            services=["api"], start=start, end=start + length * H, reason="upgrade"
        )
        self.knowledge.announcements[ann_id] = (
            ("api",),
            start,
            start + length * H,
            self._now(),
            [],
            [],
        )
        self.announcements.append(ann_id)
        self._learn()

    @precondition(lambda self: self.announcements)
    @rule(data=st.data(), ahead=st.integers(1, 24 * 9), length=st.integers(1, 6))
    def reschedule_maintenance(self, data, ahead, length):
        ann_id = data.draw(st.sampled_from(self.announcements))
        start = _hour(self._now()) + ahead * H
        self.ledger.reschedule_maintenance(ann_id, start=start, end=start + length * H)
        self.knowledge.announcements[ann_id][4].append(
            RescheduleSpec(start, start + length * H, self._now())
        )
        self._learn()

    @precondition(lambda self: self.announcements)
    @rule(data=st.data())
    def cancel_maintenance(self, data):
        ann_id = data.draw(st.sampled_from(self.announcements))
        self.ledger.cancel_maintenance(ann_id, reason="not needed")
        self.knowledge.announcements[ann_id][5].append(self._now())
        self.announcements.remove(ann_id)
        self._learn()

    # ------------------------------------------------------------ closing

    @rule(twice=st.booleans())
    def close_due_months(self, twice):
        issued = self.ledger.close_due_months()
        self._check_after_close(issued)
        if twice:
            assert self.ledger.close_due_months() == [], (
                "a second close in a row must change nothing"
            )
            self._check_after_close([])

    @precondition(lambda self: self.snapshots)
    @rule(data=st.data())
    def statements_as_known_at_an_earlier_close_are_unchanged(self, data):
        when, observed = data.draw(st.sampled_from(self.snapshots))
        for (cid, line, month), (version, figures) in observed.items():
            st_then = self.ledger.statement_for(cid, line, month, as_known_at=when)
            assert st_then is not None, (cid, line, month, when)
            assert (st_then.version, figures_of(st_then)) == (version, figures)

    @rule(data=st.data(), key=st.sampled_from(sorted(LINES)), month=st.sampled_from(MONTHS[1:4]))
    def figures_as_known_at_an_earlier_instant_follow_what_was_recorded_by_then(
        self, data, key, month
    ):
        hours = int((self._now() - START) / H)
        when = START + data.draw(st.integers(0, hours)) * H
        end = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=month_bounds(LINES[key].time_zone, month)[1]
        )
        if when < end:
            return  # a month still running at `when`: the ledger clips it there (see report)
        actual = self.ledger.compute_statement(key[0], key[1], month, as_known_at=when)
        expected = evaluate(self.knowledge.scenario(LINES[key], known_at=when), month, TICK)
        assert figures_of(actual) == expected_of(expected)

    def _expected(self, key, month):
        spec = LINES[key]
        cache_key = (self.kversion, key, month)
        if cache_key not in self.cache:
            self.cache[cache_key] = expected_of(
                evaluate(self.knowledge.scenario(spec), month, TICK)
            )
        return self.cache[cache_key]

    def _due(self, key, month) -> bool:
        spec = LINES[key]
        _start, end = month_bounds(spec.time_zone, month)
        end_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=end)
        return self._now() > end_at + GRACE and end_at > spec.starts_at

    def _check_after_close(self, issued):
        issued_keys = {(s.contract_id, s.line_id, s.month, s.version) for s in issued}
        advanced = set()
        snapshot = {}
        for key in LINES:
            for month in MONTHS:
                full = (*key, month)
                statement = self.ledger.statement_for(*key, month)
                if not self._due(key, month):
                    assert statement is None, f"{full} issued before it was due"
                    continue
                assert statement is not None, f"{full} is due but has no statement"
                figures = figures_of(statement)
                assert figures == self._expected(key, month), full
                digits = MINOR_UNITS[LINES[key].currency]
                assert statement.credit.as_tuple().exponent == -digits, (
                    f"{full} credit {statement.credit!r}"
                )
                before = self.seen.get(full)
                if before is None:
                    assert statement.version == 1
                    advanced.add((*full, 1))
                elif figures != before[1]:
                    assert statement.version == before[0] + 1, (
                        f"{full} changed without one new version"
                    )
                    assert statement.changed_by, f"{full} restated without naming events"
                    advanced.add((*full, statement.version))
                else:
                    assert statement.version == before[0], (
                        f"{full} got a new version with equal figures"
                    )
                self.seen[full] = (statement.version, figures)
                snapshot[full] = (statement.version, figures)
                if key[0] in CLAWBACK:
                    self.max_due[full] = statement.credit  # what is owed now
                else:
                    self.max_due[full] = max(self.max_due.get(full, Decimal(0)), statement.credit)
        assert issued_keys == advanced
        event(f"statements observed: {min(len(snapshot), 6)}+")
        if any(k[3] > 1 for k in advanced):
            event("restatement")
        if self.snapshots and self.snapshots[-1][0] == self._now():
            self.snapshots.pop()  # as known at an instant includes everything recorded at it
        self.snapshots.append((self._now(), snapshot))
        self._check_credits()

    def _check_credits(self):
        entries = self.ledger.credits(after=0)
        positions = [e.position for e in entries]
        assert positions == sorted(set(positions))
        new = self.ledger.credits(after=self.credit_position)
        assert [e.position for e in new] == [p for p in positions if p > self.credit_position]
        self.credit_position = max(positions, default=self.credit_position)
        totals: dict[tuple, Decimal] = {}
        for e in entries:
            full = (e.contract_id, e.line_id, e.month)
            assert e.amount > 0 or full[0] in CLAWBACK, f"no clawback by default, got {e}"
            assert e.currency == LINES[full[:2]].currency
            totals[full] = totals.get(full, Decimal(0)) + e.amount
        expected = {k: v for k, v in self.max_due.items() if v > 0}
        assert {k: v for k, v in totals.items() if v} == expected
        if entries:
            event(f"credit kinds {sorted({e.kind for e in entries})}")


TestCloseExactlyOnce = CloseExactlyOnce.TestCase
TestCloseExactlyOnce.settings = settings(settings(), stateful_step_count=30)
