"""An explanation adds up to its statement, for generated ledgers (R3-R10).

Its down and unknown periods sum to the statement's down and unknown time,
its arithmetic ends at the statement's figures, and every probe it cites is
where it says in the log: before the month is closed and after.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, note

from sla_ledger.audit.explain import explain
from sla_ledger.domain.time import from_us
from tests.integration.explained import (
    assert_arithmetic_reproduces,
    assert_cited_probes_are_in_the_log,
)
from tests.property.ledger_driver import describe_case, replay
from tests.property.strategies import cases


@given(cases())
def test_explanations_add_up_to_their_statements_before_and_after_the_close(case):
    note(describe_case(case))
    ledger, clock = replay(case)
    # Knowledge time: the clock, but never before what the log already holds (R14).
    now = max(clock.now(), from_us(ledger.catch_up().last_recorded))

    provisional = explain(ledger, "c1", "core", case.month)

    assert not provisional.issued and provisional.consistent, provisional.discrepancies
    assert provisional.statement == ledger.compute_statement(
        "c1", "core", case.month, as_known_at=now, until=now
    )
    assert_arithmetic_reproduces(provisional)
    assert_cited_probes_are_in_the_log(ledger, provisional)
    assert_every_change_cites_its_cause(provisional)

    clock.set(now + timedelta(minutes=1))
    ledger.close_due_months()
    issued = explain(ledger, "c1", "core", case.month)

    assert issued.issued and issued.consistent, issued.discrepancies
    assert issued.statement == ledger.statement_for("c1", "core", case.month)
    assert issued.statement.figures() == provisional.statement.figures()
    assert issued.periods == provisional.periods
    assert_arithmetic_reproduces(issued)


def assert_every_change_cites_its_cause(x):
    """A period or blip begins and ends where its state does, and each change that
    the computed window does not cut cites the probes, expiries or incidents behind it."""
    spans = [(p.state, p.opened_by, p.closed_by) for p in x.periods]
    spans += [("down", b.opened_by, b.closed_by) for b in x.blips]
    for state, opened, closed in spans:
        assert opened.after == state and closed.before == state
        for edge in (opened, closed):
            if edge.before is not None and edge.after is not None:
                assert edge.before != edge.after and edge.evidence, edge
            elif edge.before is None:
                assert edge.evidence  # what the state at the window's start rests on


@given(cases(min_windows=2, max_windows=4))
def test_maintenance_heavy_explanations_account_for_every_excluded_microsecond(case):
    note(describe_case(case))
    ledger, _ = replay(case)

    x = explain(ledger, "c1", "core", case.month)

    assert x.consistent, x.discrepancies
    assert_arithmetic_reproduces(x)
    windows = x.maintenance.windows
    assert sum((w.excluded for w in windows), timedelta(0)) >= x.maintenance.used
    for w in windows:
        assert w.excluded <= w.in_period
        assert (w.cap_left is None) == (w.status != "qualifying")
        assert w.over_cap == (
            w.in_period - w.excluded if w.status == "qualifying" else timedelta(0)
        )
