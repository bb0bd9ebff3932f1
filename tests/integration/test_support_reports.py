"""A contract's monthly report shows its response statement, the exclusions on its
statements and the terms in force; its lines' credits are the availability credits.
``explain`` lists the exclusions and keeps maintenance's cap apart from them."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from rich.console import Console

from sla_ledger.cli.explain_view import explanation_view
from sla_ledger.reports import contract_report, render_report
from tests.integration.scenario import at
from tests.integration.support_month import CLOSE, build


def test_the_report_carries_the_issued_response_statement_and_renders_it(tmp_path):
    ledger, clock, _ = build(f"sqlite:///{tmp_path / 'ledger.db'}")
    clock.set(CLOSE + (at(1, 1) - at(1)))
    ledger.exclude("force-majeure", ["api"], at(10, 12), at(10, 13), "flood | storm", "ops lead")
    ledger.close_due_months()
    report = contract_report(ledger, "acme", "2026-04")
    assert report.response is not None and report.response.status == "issued"
    assert report.response.statement == ledger.response_statement_for("acme", "2026-04")
    [line] = report.lines
    assert [(c.kind, c.amount) for c in line.credits] == [("CreditIssued", Decimal("100.00"))]
    markdown = render_report(report, "md")
    for text in (
        "## Response and support · tier gold",
        "3 met, **1 missed**",
        "| core | 100.00 EUR | 20.00 EUR | 120.00 EUR (12 % of 1,000.00 EUR) |",
        "first response (business time)",
        "| force-majeure |",
        "flood \\| storm",
        "not allowed",
        f"SHA-256 `{line.statement.terms.sha256}`",
    ):
        assert text in markdown, text
    html = render_report(report, "html")
    assert '<section id="response">' in html and 'data-figure="missed">1 missed' in html
    assert "Exclusions (decided, not maintenance)" in html
    assert render_report(report, "json").count('"response_credit": "20.00"') == 1


def test_a_month_not_closed_reports_its_responses_as_provisional(tmp_path):
    ledger, _, _ = build(f"sqlite:///{tmp_path / 'ledger.db'}", close=False)
    report = contract_report(ledger, "acme", "2026-04", as_known_at=at(20, 15))
    assert report.response is not None and report.response.status == "provisional"
    r = report.response.statement
    assert (r.met, r.missed, r.pending) == (3, 0, 1)  # case B falls due at 16:00
    assert "PROVISIONAL** · not issued. Computed as known at" in render_report(report, "md")


def test_explain_lists_the_exclusions_and_keeps_maintenance_s_cap_apart(tmp_path):
    ledger, clock, _ = build(f"sqlite:///{tmp_path / 'ledger.db'}")
    clock.set(CLOSE + (at(1, 1) - at(1)))
    ledger.exclude("customer-caused", ["api"], at(10, 12), at(10, 12, 30), "their firewall", "ops")
    ledger.close_due_months()
    explanation = ledger.explain("acme", "core", "2026-04")
    assert explanation.consistent and explanation.statement.version == 2
    assert explanation.arithmetic.excluded == timedelta(minutes=30)
    assert explanation.maintenance.used == timedelta(0)  # an exclusion is not maintenance
    [outage] = [p for p in explanation.periods if p.state == "down"]
    assert (outage.excluded, outage.counted) == (timedelta(minutes=30), timedelta(minutes=15))
    out = Console(file=io.StringIO(), width=120, highlight=False, color_system=None)
    out.print(explanation_view(explanation))
    text = out.file.getvalue()
    assert "Exclusions besides maintenance" in text
    assert "- excluded (maintenance, exclusions)" in text
    assert "decided by 'ops': 'their firewall'" in text


def test_explain_carries_the_response_statement_whose_credit_shares_the_lines_cap(tmp_path):
    ledger, clock, _ = build(f"sqlite:///{tmp_path / 'ledger.db'}")
    clock.set(CLOSE + (at(1, 1) - at(1)))
    ledger.close_due_months()
    explanation = ledger.explain("acme", "core", "2026-04")
    assert explanation.response_status == "issued"
    assert explanation.response == ledger.response_statement_for("acme", "2026-04")
    assert (explanation.response.met, explanation.response.missed) == (3, 1)
    out = io.StringIO()
    Console(file=out, width=120, no_color=True).print(explanation_view(explanation))
    assert "3 met" in out.getvalue() and "1 missed" in out.getvalue()


def test_explain_of_an_open_month_carries_its_responses_so_far(tmp_path):
    ledger, _, _ = build(f"sqlite:///{tmp_path / 'ledger.db'}", close=False)
    explanation = ledger.explain("acme", "core", "2026-04", as_known_at=at(20, 15))
    assert explanation.response_status == "provisional"
    assert explanation.response is not None and explanation.response.pending == 1
