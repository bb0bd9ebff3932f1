"""Several processes ingesting, closing and restating at once, on PostgreSQL and on one
SQLite file: each statement version once, each credit once, no evidence lost, nothing
left locked, and the figures one process alone computes from the same events.

Sized by tests/reliability/profile.py: a CI run, and ``scripts/reliability`` for more
rounds with more processes (docs/reliability.md, "Concurrency"). Run with ``-s`` to
see each round's figures.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import nullcontext

import pytest

from sla_ledger import open_ledger
from sla_ledger.domain import events as ev
from tests.reliability.concurrent_checks import (
    LockWatch,
    Log,
    check_evidence,
    check_no_locks_left,
    check_one_stream_per_key,
    check_serial_figures,
    check_statement_streams,
)
from tests.reliability.concurrent_scenario import (
    Report,
    ShiftedClock,
    expected_probes,
    run_workers,
    set_up,
    shift,
)
from tests.reliability.profile import sized

WORKERS = sized(4, 8)
STEPS = sized(12, 24)
ROUNDS = sized(1, 3)
TIMEOUT = sized(120, 600)


def ingest_close_and_restate(url: str, seed: int) -> str:
    """Run one round on a new store, check it, and return its figures."""
    postgres = url.startswith("postgresql")
    set_up(url, WORKERS)
    began = time.monotonic()
    with LockWatch(url) if postgres else nullcontext() as watch:
        reports = run_workers(url, WORKERS, STEPS, seed, TIMEOUT)
    elapsed = time.monotonic() - began
    ledger = open_ledger(url, clock=ShiftedClock(shift()))
    settled = ledger.close_due()
    log = Log.read(ledger)
    check_statement_streams(log, ledger)
    firsts = check_one_stream_per_key(log, WORKERS)
    probes = check_evidence(log, reports, expected_probes(WORKERS, STEPS, seed))
    figures = check_serial_figures(log, ledger)
    verified = ledger.verify()
    assert verified.ok, verified.findings[:5]
    if postgres:
        check_no_locks_left(url)
    ledger.close()
    return _figures(url, seed, elapsed, reports, log, firsts, probes, figures) + (
        f", settled by a last close: {len(settled.statements) + len(settled.response_statements)}"
        + (f", most sessions waiting for a lock at once: {watch.most}" if watch else "")
    )


def _figures(url, seed, elapsed, reports: list[Report], log: Log, firsts, probes, figures) -> str:  # type: ignore[no-untyped-def]
    races: Counter[str] = Counter()
    for report in reports:
        races.update(report.lost_races)
    return (
        f"{url.split(':')[0]} round {seed}: {WORKERS} processes for {elapsed:.1f} s; "
        f"{probes} probes in {sum(len(r.receipts) for r in reports)} batches, "
        f"{sum(len(r.incidents) for r in reports)} late incidents, "
        f"{sum(r.closes for r in reports)} closes; {len(log.events)} events; "
        f"issued once: {firsts['availability']} statements, {firsts['response']} response "
        f"statements, {firsts['CreditIssued']} credits, {firsts['ResponseCreditIssued']} "
        f"response credits; {log.count(ev.StatementRestated)} restatements, "
        f"{log.count(ev.ResponseStatementRestated)} response restatements, "
        f"{log.count(ev.CreditAdjusted, ev.ResponseCreditAdjusted)} adjustments; "
        f"commits that lost a race: {dict(sorted(races.items()))}; "
        f"{figures} latest figures equal one process's"
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_processes_ingesting_closing_and_restating_on_postgres_lose_and_repeat_nothing(
    fresh_postgres_url, seed
):
    print("\n" + ingest_close_and_restate(fresh_postgres_url, seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_processes_ingesting_closing_and_restating_on_one_sqlite_file_lose_and_repeat_nothing(
    tmp_path, seed
):
    print("\n" + ingest_close_and_restate(f"sqlite:///{tmp_path / 'ledger.db'}", seed))
