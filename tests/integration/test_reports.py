"""The report model on real SQLite ledgers: its figures are the statement's, exactly;
its days and its timeline add up to them; provisional and restated months say so."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from sla_ledger import ManualClock, open_ledger
from sla_ledger.domain.daily import month_states
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.time import to_us
from sla_ledger.reports import contract_report, portfolio
from tests.cli.conftest import build_april
from tests.integration import late_evidence

AFTER_APRIL = datetime(2026, 5, 2, tzinfo=UTC)
DEMO_LINES = {"acme-eu": ["platform", "api"], "globex-us": ["api", "auth"]}


@pytest.fixture(scope="module")
def april_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("april-report") / "april.db"
    build_april(path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def demo(demo_store):
    ledger = open_ledger(demo_store)
    yield ledger
    ledger.close()


def seconds(delta: timedelta) -> int:
    return delta // timedelta(seconds=1)


def total(items, field: str) -> timedelta:
    return sum((getattr(x, field) for x in items), timedelta(0))


@pytest.mark.slow
@pytest.mark.parametrize("contract_id", sorted(DEMO_LINES))
def test_every_demo_line_shows_its_issued_statement_exactly(demo, contract_id):
    ledger = demo
    report = contract_report(ledger, contract_id, "2026-03")
    assert not report.provisional
    assert [line.statement.line_id for line in report.lines] == DEMO_LINES[contract_id]
    for line in report.lines:
        s = line.statement
        assert line.status == "issued"
        assert s == ledger.statement_for(contract_id, s.line_id, "2026-03")
        assert line.working.credit == s.credit
        assert [v.version for v in line.history] == [1]
        assert [(c.kind, c.amount) for c in line.credits] == (
            [("CreditIssued", s.credit)] if s.credit else []
        )
    assert report.ledger_digest == ledger.digest()


@pytest.mark.slow
@pytest.mark.parametrize("contract_id", sorted(DEMO_LINES))
def test_the_days_and_the_timeline_add_up_to_the_statement(demo, contract_id):
    for line in contract_report(demo, contract_id, "2026-03").lines:
        s, days = line.statement, line.days
        assert len(days) == 31
        assert (days[0].start, days[-1].end) == (s.period_start, s.period_end)
        for field in ("active", "excluded", "eligible", "down", "unknown", "unavailable"):
            assert total(days, field) == getattr(s, field), field
        spans = line.timeline
        assert (spans[0].start, spans[-1].end) == (s.period_start, s.period_end)
        assert all(a.end == b.start for a, b in itertools.pairwise(spans))
        by_state = {
            state: total([x for x in spans if x.state == state], "duration")
            for state in ("down", "unknown", "excluded", "inactive")
        }
        assert by_state == {
            "down": s.down,
            "unknown": s.unknown,
            "excluded": s.excluded,
            "inactive": s.month_length - s.active,
        }
        down = [(x.start, x.end) for x in spans if x.state == "down"]
        assert down == [(o.start, o.end) for o in s.outages]


@pytest.mark.slow
def test_the_demo_report_shows_maintenance_redundancy_and_the_credits_arithmetic(demo):
    ledger = demo
    acme = {x.statement.line_id: x for x in contract_report(ledger, "acme-eu", "2026-03").lines}
    platform = acme["platform"]
    assert [(m.part, seconds(m.duration)) for m in platform.maintenance] == [("excluded", 7200)]
    assert [a.target for a in platform.statement.absorbed_failures] == ["platform/db/db-b"]
    assert {d.date: d.level for d in platform.days}["2026-03-22"] == "poor"  # 15 min of 22 h

    w = acme["api"].working
    assert (w.tier.below, w.credit_percent) == (Decimal("99.9"), Decimal("10"))
    assert (w.proration, w.base_exact, w.amount_exact) == (Fraction(1), 4000, 400)
    assert (w.rounded, w.credit) == (Decimal("400.00"), Decimal("400.00"))
    assert not w.capped and not w.below_minimum

    globex = contract_report(ledger, "globex-us", "2026-03", line_id="auth")
    (auth,) = globex.lines
    assert [(m.part, seconds(m.duration)) for m in auth.maintenance] == [("late", 3600)]
    assert seconds(total([x for x in auth.timeline if x.state == "unknown"], "duration")) == 540
    assert {d.date: d.level for d in auth.days}["2026-03-27"] == "missed"  # 9 min unknown


def test_a_month_not_yet_closed_is_reported_provisional_month_to_date(april_url):
    now = datetime(2026, 4, 20, tzinfo=UTC)
    ledger = open_ledger(april_url, clock=ManualClock(AFTER_APRIL))
    report = contract_report(ledger, "c1", "2026-04", as_known_at=now)
    assert report.provisional and report.as_known_at == now
    (line,) = report.lines
    assert line.status == "provisional"
    assert line.statement == ledger.compute_statement("c1", "core", "2026-04", now, until=now)
    assert (line.history, line.credits) == ((), ())
    assert [d.level for d in line.days[19:]] == ["inactive"] * 11
    assert line.timeline[-1].state == "inactive" and line.timeline[-1].start == now

    whole = contract_report(ledger, "c1", "2026-04").lines[0]
    assert whole.status == "provisional"
    assert (whole.statement.availability, whole.statement.credit) == (
        Fraction(959, 960),
        Decimal("100.00"),
    )


def test_a_restated_statement_shows_its_versions_and_what_changed_them(tmp_path):
    ledger, refs = late_evidence.build(f"sqlite:///{tmp_path / 'late.db'}")
    (line,) = contract_report(ledger, "acme", "2026-04").lines
    first, second = line.history
    assert (first.version, first.changed, first.changed_by) == (1, (), ())
    assert second.version == line.statement.version == 2
    assert {"down", "unknown", "availability"} <= set(second.changed)
    assert set(second.changed_by) == set(refs.values())
    assert line.statement.corrections == (refs["invalidation"],)
    assert second.credit < first.credit  # a decrease, never clawed back (R12)
    assert [(c.kind, c.amount) for c in line.credits] == [("CreditIssued", first.credit)]

    earlier = contract_report(
        ledger, "acme", "2026-04", as_known_at=late_evidence.T1 + timedelta(minutes=30)
    )
    assert [v.version for v in earlier.lines[0].history] == [1]
    assert earlier.lines[0].statement.version == 1 and not earlier.provisional


def test_evidence_recorded_in_the_statements_own_microsecond_does_not_change_its_report(
    april_url, tmp_path
):
    path = tmp_path / "same-instant.db"
    shutil.copy(april_url.removeprefix("sqlite:///"), path)
    ledger = open_ledger(f"sqlite:///{path}", clock=ManualClock(AFTER_APRIL))
    (issued,) = ledger.close_due_months()
    # Same clock: the correction is recorded at the statement's instant, after it.
    ledger.invalidate_probes(["web@fra@2026-04-10T12:00:00Z#down"], "probe host fault")
    as_known = Reckoner(ledger.catch_up(), to_us(AFTER_APRIL), to_us(issued.known_at))
    naive = month_states(as_known, "c1", "core", "2026-04").figures()
    assert naive.down_us != issued.down_us  # the state as known then includes the correction

    (line,) = contract_report(ledger, "c1", "2026-04").lines
    assert line.statement == issued
    assert total(line.days, "down") == issued.down == timedelta(minutes=45)


def test_the_portfolio_sorts_lines_worst_first_with_credits_per_currency(tmp_path, april_url):
    ledger, _ = late_evidence.build(f"sqlite:///{tmp_path / 'late.db'}")
    found = portfolio(ledger, "2026-04")
    (row,) = found.rows
    assert (row.status, row.version, row.credit < row.credited) == ("issued", 2, True)
    (eur,) = found.totals
    assert (eur.currency, eur.lines, eur.credit, eur.credited) == (
        "EUR",
        1,
        row.credit,
        row.credited,
    )

    april = portfolio(open_ledger(april_url, clock=ManualClock(AFTER_APRIL)), "2026-04")
    assert [(r.contract_id, r.status, r.credit, r.credited) for r in april.rows] == [
        ("c1", "provisional", Decimal("100.00"), Decimal("0.00"))
    ]
    assert portfolio(open_ledger(april_url), "2026-03").rows == ()  # c1 starts in April


@pytest.mark.slow
def test_the_demo_portfolio_never_adds_euros_to_dollars(demo):
    found = portfolio(demo, "2026-03")
    assert [r.availability for r in found.rows] == sorted(r.availability for r in found.rows)
    assert [(r.contract_id, r.line_id) for r in found.rows] == [
        ("globex-us", "auth"),
        ("acme-eu", "api"),
        ("globex-us", "api"),
        ("acme-eu", "platform"),
    ]
    assert [(t.currency, t.lines, t.credit, t.credited) for t in found.totals] == [
        ("EUR", 2, Decimal("400.00"), Decimal("400.00")),
        ("USD", 2, Decimal("300.00"), Decimal("300.00")),
    ]
