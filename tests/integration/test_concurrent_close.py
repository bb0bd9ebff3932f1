"""Several processes closing the same months at the same moment issue each statement once,
response statements and response credits included."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla_ledger import ManualClock, ResponseTarget, SupportTier, open_ledger
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    record_month,
)

CLOSE = datetime(2026, 5, 1, 2, tzinfo=UTC)
CONTRACTS = 12
SUPPORTED = 6  # the odd ones: a support tier, and a case whose first response was missed
CLOSERS = 4
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(
            severity="sev1", first_response=timedelta(hours=1), first_response_credit=Decimal(5)
        ),
    ),
)


def _close(url: str, start: multiprocessing.synchronize.Event, out: multiprocessing.Queue) -> None:
    ledger = open_ledger(url, clock=ManualClock(CLOSE))
    ledger.catch_up()
    start.wait()
    issued = ledger.close_due_months()
    out.put(len(issued))
    ledger.close()


def close_concurrently(url: str) -> list[int]:
    ledger, _clock = new_ledger(url)
    ledger.register_service(api_service())
    for index in range(CONTRACTS):
        ledger.sign_contract(contract(f"customer{index}", support=TIER if index % 2 else None))
    record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
    for index in range(1, CONTRACTS, 2):
        ledger.open_case(f"customer{index}", "sev1", opened_at=at(20))
    ledger.close()
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_close, args=(url, start, out)) for _ in range(CLOSERS)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    return [out.get(timeout=5) for _ in workers]


def assert_exactly_once(url: str, issued_per_worker: list[int]) -> None:
    assert sum(issued_per_worker) == CONTRACTS
    ledger = open_ledger(url, clock=ManualClock(CLOSE))
    kinds: Counter[tuple[str, str]] = Counter()
    for notification in ledger.recorder.select_notifications(start=1, limit=10_000):
        if notification.topic in (
            "StatementIssued",
            "StatementRestated",
            "CreditIssued",
            "CreditAdjusted",
            "ResponseStatementIssued",
            "ResponseStatementRestated",
            "ResponseCreditIssued",
            "ResponseCreditAdjusted",
        ):
            event = ledger.mapper.to_domain_event(notification)
            contract_id = (
                event.statement.contract_id if hasattr(event, "statement") else event.contract_id
            )
            kinds[(notification.topic, contract_id)] += 1
    assert set(kinds.values()) == {1}
    assert sum(1 for topic, _ in kinds if topic == "StatementIssued") == CONTRACTS
    assert sum(1 for topic, _ in kinds if topic == "CreditIssued") == CONTRACTS
    assert sum(1 for topic, _ in kinds if topic == "ResponseStatementIssued") == SUPPORTED
    assert sum(1 for topic, _ in kinds if topic == "ResponseCreditIssued") == SUPPORTED
    assert not any(topic.endswith(("Restated", "Adjusted")) for topic, _ in kinds)
    assert len(ledger.credits()) == CONTRACTS + SUPPORTED
    assert ledger.verify().ok
    ledger.close()


@pytest.mark.slow
def test_concurrent_closers_on_postgres_issue_each_statement_and_credit_once(fresh_postgres_url):
    assert_exactly_once(fresh_postgres_url, close_concurrently(fresh_postgres_url))


@pytest.mark.slow
def test_concurrent_closers_on_one_sqlite_file_issue_each_statement_and_credit_once(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    assert_exactly_once(url, close_concurrently(url))
