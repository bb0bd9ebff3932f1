"""Response statements and credits through the public API, on SQLite and PostgreSQL:
issued once at the close, restated by late case events, exclusions and availability
restatements, under one cap with availability credits (docs/support.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from sla_ledger import terms_hash
from tests.integration.scenario import at
from tests.integration.support_month import CLOSE, build

HOUR = timedelta(hours=1)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def feed(ledger):
    return [(c.kind, c.amount, c.statement_version) for c in ledger.credits()]


def test_the_close_issues_one_response_statement_and_its_credit_once(url):
    ledger, clock, cases = build(url)
    r = ledger.response_statement_for("acme", "2026-04")
    assert (r.version, r.tier, r.met, r.missed, r.pending) == (1, "gold", 3, 1, 0)
    [miss] = r.worst_misses
    assert (miss.case_id, miss.kind, miss.due, miss.late_by) == (
        cases["b"],
        "first response",
        at(20, 16),
        timedelta(hours=1, minutes=30),
    )
    [line] = r.lines
    assert (line.combined_percent, line.combined_credit, line.response_credit) == (
        Decimal("12"),
        Decimal("120.00"),
        Decimal("20.00"),
    )
    assert [c.case_id for c in r.cases] == [cases["a"], cases["b"]]
    assert feed(ledger) == [
        ("CreditIssued", Decimal("100.00"), 1),
        ("ResponseCreditIssued", Decimal("20.00"), 1),
    ]
    position = ledger.position
    clock.advance(HOUR)
    ledger.close_due_months()
    assert ledger.position == position, "a second close issues nothing"
    assert ledger.verify().ok


def test_a_case_reported_late_restates_the_month_and_adjusts_the_credit_up(url):
    ledger, clock, _ = build(url)
    clock.set(CLOSE + HOUR)
    late = ledger.open_case("acme", "sev1", opened_at=at(29, 10), subject="phoned in")
    clock.advance(HOUR)
    ledger.close_due_months()
    r = ledger.response_statement_for("acme", "2026-04")
    assert (r.version, r.missed, r.response_credit_percent) == (2, 2, Decimal("7"))
    assert [c.type for c in r.changed_by] == ["SupportCaseOpened"]
    assert feed(ledger)[-1] == ("ResponseCreditAdjusted", Decimal("50.00"), 2)
    # Answering it now changes what the statement says, not what it credits.
    ledger.respond(late)
    clock.advance(HOUR)
    ledger.close_due_months()
    r = ledger.response_statement_for("acme", "2026-04")
    assert r.version == 3 and r.worst_misses[0].late_by == CLOSE + 2 * HOUR - at(29, 11)
    assert feed(ledger)[-1] == ("ResponseCreditAdjusted", Decimal("50.00"), 2)
    assert ledger.response_statement_for("acme", "2026-04", as_known_at=CLOSE).version == 1
    assert ledger.verify().ok


def test_a_case_event_that_changes_nothing_in_the_month_restates_nothing(url):
    ledger, clock, cases = build(url)
    clock.set(CLOSE + HOUR)
    ledger.change_severity(cases["b"], "sev1", "escalated")  # its updates fall due in May
    ledger.close_due_months()
    assert ledger.response_statement_for("acme", "2026-04").version == 1


@pytest.mark.parametrize(("clawback", "taken_back"), [(False, []), (True, [Decimal("-20.00")])])
def test_a_higher_availability_credit_under_the_cap_lowers_the_response_credit(
    url, clawback, taken_back
):
    ledger, clock, _ = build(url, max_credit="15", clawback=clawback)
    clock.set(CLOSE + HOUR)
    ledger.declare_incident(["api"], at(22, 0), at(22, 10), "found in the logs")
    ledger.close_due_months()
    availability = ledger.statement_for("acme", "core", "2026-04")
    r = ledger.response_statement_for("acme", "2026-04")
    assert (availability.version, availability.credit) == (2, Decimal("150.00"))
    assert [(x.availability_credit, x.response_credit) for x in r.lines] == [
        (Decimal("150.00"), Decimal("0.00"))
    ]
    assert [c.type for c in r.changed_by] == ["StatementRestated"]
    adjusted = [a for kind, a, _ in feed(ledger) if kind == "ResponseCreditAdjusted"]
    assert adjusted == taken_back
    assert ("CreditAdjusted", Decimal("50.00"), 2) in feed(ledger)


def test_an_exclusion_after_the_close_is_listed_on_the_restated_statement(url):
    ledger, clock, _ = build(url)
    clock.set(CLOSE + HOUR)
    ledger.exclude("force-majeure", ["api"], at(10, 12), at(10, 13), "flood", "ops lead")
    ledger.close_due_months()
    s = ledger.statement_for("acme", "core", "2026-04")
    assert s.version == 2 and s.credit == Decimal("100.00")
    assert [(x.category, x.status, x.excluded) for x in s.exclusions] == [
        ("force-majeure", "not allowed", timedelta(0))
    ]
    allowed = ledger.exclude(
        "customer-caused", ["api"], at(10, 12), at(10, 12, 30), "their firewall", "ops lead"
    )
    ledger.close_due_months()
    s = ledger.statement_for("acme", "core", "2026-04")
    assert (s.version, s.excluded, s.down, s.credit) == (
        3,
        timedelta(minutes=30),
        timedelta(minutes=15),
        Decimal("0.00"),
    )
    assert [x.status for x in s.exclusions] == ["applied", "not allowed"]  # in time order
    assert ledger.response_statement_for("acme", "2026-04").lines[0].response_credit == 20
    ledger.withdraw_exclusion(allowed, "it was our firewall after all", "ops lead")
    ledger.close_due_months()
    s = ledger.statement_for("acme", "core", "2026-04")
    assert (s.version, s.excluded) == (4, timedelta(0))
    assert [x.status for x in s.exclusions] == ["withdrawn", "not allowed"]
    assert ledger.verify().ok


def test_every_statement_names_the_terms_it_was_computed_under(url):
    ledger, clock, _ = build(url)
    signed = ledger.contracts()[0]
    amended = signed.model_copy(update={"min_downtime": timedelta(seconds=90)})
    clock.set(CLOSE + HOUR)
    assert ledger.amend_contract(amended) == "2026-06"  # recorded in May
    april = ledger.statement_for("acme", "core", "2026-04").terms
    assert (april.version, april.sha256, april.since, april.amended_this_month) == (
        1,
        terms_hash(signed),
        "2026-04",
        False,
    )
    assert ledger.response_statement_for("acme", "2026-04").terms == april
    shown = {
        month: ledger.compute_statement("acme", "core", month).terms
        for month in ("2026-05", "2026-06", "2026-07")
    }
    assert {m: (t.version, t.since, t.amended_this_month) for m, t in shown.items()} == {
        "2026-05": (1, "2026-04", False),
        "2026-06": (2, "2026-06", True),
        "2026-07": (2, "2026-06", False),
    }
    assert shown["2026-06"].sha256 == terms_hash(amended) != april.sha256
    assert ledger.compute_response_statement("acme", "2026-06").terms == shown["2026-06"]
    # As known before the amendment was recorded, June was still under the signed terms.
    before = ledger.compute_statement("acme", "core", "2026-06", as_known_at=CLOSE)
    assert before.terms == ledger.compute_statement("acme", "core", "2026-05").terms
