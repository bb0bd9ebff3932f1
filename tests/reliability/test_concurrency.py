"""Several processes ingesting, closing and restating at once, on PostgreSQL and on one
SQLite file: each statement version once, each credit once, no evidence lost, nothing
left locked, and the figures a single process computes from the same events.

Sized by tests/reliability/profile.py: a CI run, and ``scripts/reliability`` for more
rounds with more processes (docs/reliability.md, "Concurrency").
"""

from __future__ import annotations

import time

import pytest

from sla_ledger import open_ledger
from tests.reliability.concurrent_checks import (
    Log,
    check_evidence,
    check_no_locks_left,
    check_one_stream_per_key,
    check_serial_figures,
    check_statement_streams,
)
from tests.reliability.concurrent_scenario import (
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


def ingest_close_and_restate(url: str, seed: int) -> None:
    set_up(url, WORKERS)
    began = time.monotonic()
    reports = run_workers(url, WORKERS, STEPS, seed, TIMEOUT)
    elapsed = time.monotonic() - began
    ledger = open_ledger(url, clock=ShiftedClock(shift()))
    settled = ledger.close_due(now=None)
    log = Log.read(ledger)
    check_statement_streams(log, ledger)
    kinds = check_one_stream_per_key(log, WORKERS)
    probes = check_evidence(log, reports, expected_probes(WORKERS, STEPS, seed))
    figures = check_serial_figures(log, ledger)
    report = ledger.verify()
    assert report.ok, report.findings[:5]
    if url.startswith("postgresql"):
        check_no_locks_left(url)
    ledger.close()
    print(
        f"\n{url.split(':')[0]} round {seed}: {WORKERS} processes, {elapsed:.1f} s, "
        f"{probes} probes in {sum(len(r.receipts) for r in reports)} batches, "
        f"{sum(r.closes for r in reports)} closes, {len(log.events)} events, "
        f"{kinds['availability']} statements and {kinds['response']} response statements "
        f"issued once, {log.count(*_restated())} restatements, "
        f"{log.count(*_adjusted())} adjustments; the final close settled "
        f"{len(settled.statements) + len(settled.response_statements)}; {figures} figures "
        "equal a single process's"
    )


def _restated():
    from sla_ledger.domain import events as ev

    return ev.StatementRestated, ev.ResponseStatementRestated


def _adjusted():
    from sla_ledger.domain import events as ev

    return ev.CreditAdjusted, ev.ResponseCreditAdjusted


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_processes_ingesting_closing_and_restating_on_postgres_lose_and_repeat_nothing(
    fresh_postgres_url, seed
):
    ingest_close_and_restate(fresh_postgres_url, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(ROUNDS))
def test_processes_ingesting_closing_and_restating_on_one_sqlite_file_lose_and_repeat_nothing(
    tmp_path, seed
):
    ingest_close_and_restate(f"sqlite:///{tmp_path / 'ledger.db'}", seed)
