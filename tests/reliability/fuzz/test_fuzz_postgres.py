"""A small fuzz run against PostgreSQL: the same hostile calls and mutated imports as
the SQLite suites, on a world built in a new database per example, where the store's
own errors (psycopg's) would surface if a value reached it unchecked."""

from __future__ import annotations

import io
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger import ManualClock, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import attempt, hostile
from tests.reliability.fuzz.test_fuzz_api import batches
from tests.reliability.fuzz.test_fuzz_jsonl import mutate
from tests.reliability.fuzz.world import NOW, build_at
from tests.reliability.profile import sized


@settings(max_examples=sized(3, 40))
@given(
    batch=batches,
    services=hostile(),
    month=hostile(),
    after=st.one_of(st.integers(), hostile()),
    seed=st.integers(0, 2**32),
)
def test_hostile_calls_and_imports_on_postgresql_are_accepted_or_refused_cleanly(
    postgres_databases, batch, services, month, after, seed
) -> None:
    counter.count()
    with postgres_databases() as url:
        build_at(url)
        ledger = open_ledger(url, clock=ManualClock(NOW))
        try:
            attempt(ledger, ledger.record_probes, batch)
            attempt(ledger, ledger.declare_incident, services, NOW)
            attempt(ledger, ledger.statement_for, "c1", "core", month)
            attempt(ledger, ledger.credits, after)
            out = io.StringIO()
            export_jsonl(ledger, out)
            source = mutate(out.getvalue().encode(), Random(seed))
            attempt(ledger, import_jsonl, ledger, io.BytesIO(source))
        finally:
            ledger.close()
