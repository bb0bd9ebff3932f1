"""Fuzzing the queries: figures, explanations, diffs, proofs. A query never writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import attempt, aware_instants, either, nasty_text
from tests.reliability.fuzz.world import Template
from tests.reliability.profile import sized

CONTRACTS = st.sampled_from(["c1", "c2"])
LINES = st.sampled_from(["core", "db", "nope"])
MONTHS = st.one_of(
    st.sampled_from(["2026-04", "2026-05", "2026-13", "2026-4", "0000-01", "9999-12", "1969-12"]),
    nasty_text(),
)
INSTANTS = st.one_of(st.none(), aware_instants())

QUERIES = {
    "statement_for": (CONTRACTS, LINES, MONTHS, INSTANTS),
    "compute_statement": (CONTRACTS, LINES, MONTHS, INSTANTS, INSTANTS),
    "explain": (CONTRACTS, LINES, MONTHS, INSTANTS),
    "statement_diff": (CONTRACTS, LINES, MONTHS, aware_instants(), INSTANTS, st.booleans()),
    "response_statement_for": (CONTRACTS, MONTHS, INSTANTS),
    "compute_response_statement": (CONTRACTS, MONTHS, INSTANTS, INSTANTS),
    "shown_response_statement": (CONTRACTS, MONTHS, INSTANTS),
    "statements": (st.one_of(st.none(), CONTRACTS), st.one_of(st.none(), MONTHS)),
    "response_statements": (st.one_of(st.none(), CONTRACTS), st.one_of(st.none(), MONTHS)),
    "credits": (st.integers(-5, 100), st.integers(-5, 2000)),  # either() adds 2**63 and more
    "cases": (st.one_of(st.none(), CONTRACTS),),
    "prove": (st.one_of(st.none(), st.integers(-5, 40)), st.none(), st.integers(-5, 40)),
    "prove_consistency": (st.integers(-5, 40), st.one_of(st.none(), st.integers(-5, 40))),
    "verify": (st.one_of(st.none(), st.sampled_from(["19:" + "0" * 64, "x", "1:zz", ""])),),
}


# How many leading arguments each query requires; the rest have defaults.
REQUIRED = {
    "statement_for": 3,
    "compute_statement": 3,
    "explain": 3,
    "statement_diff": 4,
    "response_statement_for": 2,
    "compute_response_statement": 2,
    "shown_response_statement": 2,
    "prove_consistency": 1,
    "prove": 0,
}


@settings(max_examples=sized(25, 500))
@given(data=st.data(), name=st.sampled_from(sorted(QUERIES)))
def test_a_query_answers_or_refuses_and_never_writes(world: Template, data, name) -> None:
    counter.count()
    args = [data.draw(either(arg)) for arg in QUERIES[name]]
    required = REQUIRED.get(name, 0)
    args = args[: data.draw(st.integers(required, len(args)))]
    with world.copy() as (ledger, _):
        before = ledger.digest()
        attempt(ledger, getattr(ledger, name), *args)
        assert ledger.digest() == before
