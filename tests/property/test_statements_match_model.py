"""Statement figures from the ledger equal the brute-force model's (R2-R10)."""

from __future__ import annotations

from hypothesis import given, note

from tests.property.brute_force import evaluate, truncated_percent
from tests.property.ledger_driver import describe_case, expected_of, figures_of, replay
from tests.property.strategies import cases


@given(cases())
def test_statement_figures_match_the_brute_force_model(case):
    note(describe_case(case))
    ledger, _ = replay(case)
    expected = evaluate(case.scenario, case.month, case.tick)
    actual = ledger.compute_statement("c1", "core", case.month)
    assert figures_of(actual) == expected_of(expected)
    assert actual.availability_percent == truncated_percent(expected.availability)
    assert actual.currency == case.scenario.contract.currency
