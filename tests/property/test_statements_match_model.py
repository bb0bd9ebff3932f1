"""Statement figures from the ledger equal the brute-force model's (R2-R10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import event, given, note

from tests.property.brute_force import evaluate, truncated_percent
from tests.property.ledger_driver import describe_case, expected_of, figures_of, replay
from tests.property.strategies import cases


@given(cases())
def test_statement_figures_match_the_brute_force_model(case):
    _check(case)


@given(cases(min_windows=2, max_windows=4))
def test_maintenance_heavy_statements_match_the_brute_force_model(case):
    _check(case)


@given(cases(money_edges=True))
def test_whole_month_credits_on_rounding_ties_and_minimums_match_the_model(case):
    _check(case)


def _check(case):
    note(describe_case(case))
    ledger, _ = replay(case)
    expected = evaluate(case.scenario, case.month, case.tick)
    _classify(case, expected)
    actual = ledger.compute_statement("c1", "core", case.month)
    assert figures_of(actual) == expected_of(expected)
    assert actual.availability_percent == truncated_percent(expected.availability)
    assert actual.currency == case.scenario.contract.currency
    assert (
        actual.credit.as_tuple().exponent == expected.credit.as_tuple().exponent
    )  # the minor unit


def _classify(case, fig):
    c = case.scenario.contract
    share = "100" if fig.availability == 1 else ">= 99" if fig.availability >= 0.99 else "< 99"
    event(f"availability {share}")
    event(f"credit {'issued' if fig.credit else 'below minimum' if fig.credit_percent else 'none'}")
    if fig.excluded_us:
        event(
            "maintenance excluded"
            + (
                " up to the cap"
                if fig.excluded_us == c.maintenance_cap.total_seconds() * 10**6
                else ""
            )
        )
    if fig.down_us and fig.unknown_us:
        event("down and unknown time")
    if c.ends_at is not None:
        event("terminated")
    unfiltered = evaluate(
        replace(case.scenario, contract=replace(c, min_downtime=timedelta(0))),
        case.month,
        case.tick,
    )
    if unfiltered.down_us != fig.down_us:
        event("blips filtered")
