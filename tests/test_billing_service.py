"""examples/billing_service.py applies every credit exactly once, even when it is
killed (SIGKILL) between reading a credit and committing it.

The ledger is one SQLite file built through the public API: two contracts in two
currencies, three months closed, outages in April and May, and an incident
declared late for April that restates it and adjusts two credits.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select

from sla_ledger import (
    Contract,
    ContractLine,
    CreditEntry,
    ManualClock,
    Probe,
    Service,
    SlaLedger,
    open_ledger,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "billing_service.py"
LOCATIONS = ("fra", "ams", "lon")
EVERY = timedelta(minutes=5)


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def service() -> ModuleType:
    """The example, imported as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("billing_service", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves the models' annotations here
    spec.loader.exec_module(module)
    return module


# -- the ledger ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    url: str
    credits: list[CreditEntry]
    credited: dict[str, Decimal]  # per currency: the latest statements' credits, summed


def build_ledger(url: str) -> SlaLedger:
    clock = ManualClock(utc(3, 1))
    ledger = open_ledger(url, clock=clock)
    for service_id in ("api", "web"):
        ledger.register_service(
            Service(service_id=service_id, locations=LOCATIONS, probe_interval=EVERY)
        )
    ledger.sign_contract(
        Contract(
            contract_id="acme",
            customer="ACME GmbH",
            region="eu",
            starts_at=utc(4, 1),
            lines=(
                ContractLine(
                    line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR"
                ),
            ),
        )
    )
    ledger.sign_contract(
        Contract(
            contract_id="globex",
            customer="Globex Inc.",
            region="us",
            starts_at=utc(4, 1),
            lines=(
                ContractLine(
                    line_id="api", service="api", monthly_fee=Decimal("2000.00"), currency="USD"
                ),
                ContractLine(
                    line_id="web", service="web", monthly_fee=Decimal("500.00"), currency="USD"
                ),
            ),
        )
    )
    down = {"api": (utc(4, 10, 12), utc(4, 10, 14)), "web": (utc(5, 20, 3), utc(5, 20, 9))}
    for start, end in ((utc(4, 1), utc(5, 1)), (utc(5, 1), utc(6, 1)), (utc(6, 1), utc(7, 1))):
        probes = []
        at = start
        while at < end:
            for service_id, (a, b) in down.items():
                probes += [Probe(service_id, loc, at, not a <= at < b) for loc in LOCATIONS]
            at += EVERY
        clock.set(end)  # monitoring sends the month's probes once they have happened
        ledger.record_probes(probes)
        clock.set(end + timedelta(hours=1, minutes=5))  # past the hour of grace
        ledger.close_due_months()
    # A post-mortem finds six more hours of April down: April is restated.
    clock.set(utc(7, 2))
    ledger.declare_incident(["api"], utc(4, 20, 0), utc(4, 20, 6), reason="found late")
    ledger.close_due_months()
    return ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'sla-ledger.db'}"
    built = build_ledger(url)
    try:
        credits = built.credits()
        credited: defaultdict[str, Decimal] = defaultdict(Decimal)
        for statement in built.statements():
            credited[statement.currency] += statement.credit
    finally:
        built.close()
    return Ledger(url, credits, dict(credited))


def test_the_ledger_has_credits_and_a_restatement(ledger):
    assert [(c.kind, c.contract_id, c.line_id, c.month, c.amount) for c in ledger.credits] == [
        ("CreditIssued", "acme", "core", "2026-04", Decimal("100.00")),  # 2 h down: 10 %
        ("CreditIssued", "globex", "api", "2026-04", Decimal("200.00")),
        ("CreditIssued", "globex", "web", "2026-05", Decimal("50.00")),  # 6 h down: 10 %
        ("CreditAdjusted", "acme", "core", "2026-04", Decimal("150.00")),  # 8 h: 25 %
        ("CreditAdjusted", "globex", "api", "2026-04", Decimal("300.00")),
    ]
    assert ledger.credited == {"EUR": Decimal("250.00"), "USD": Decimal("550.00")}


# -- the billing database ------------------------------------------------------------------


def expected(credits: list[CreditEntry]) -> list[tuple]:
    return [
        (
            c.position,
            c.kind,
            c.contract_id,
            c.line_id,
            c.month,
            c.statement_version,
            -c.amount,
            c.currency,
        )
        for c in credits
    ]


@contextmanager
def billing(service: ModuleType, url: str) -> Iterator:
    session_factory = service.open_billing(url)
    try:
        yield session_factory
    finally:
        session_factory.kw["bind"].dispose()


def booked(service: ModuleType, url: str) -> tuple[int, list[tuple]]:
    """The stored feed position and every invoice line, in feed order."""
    Invoice, Line = service.Invoice, service.InvoiceLine
    with billing(service, url) as session_factory, session_factory() as session:
        rows = session.execute(
            select(
                Line.feed_position,
                Line.kind,
                Invoice.contract_id,
                Line.line_id,
                Invoice.month,
                Line.statement_version,
                Line.amount,
                Line.currency,
            )
            .join(Line.invoice)
            .order_by(Line.feed_position)
        )
        lines = [tuple(row) for row in rows]
        return service.stored_position(session_factory), lines


def run(ledger: Ledger, billing_url: str, crash_after: int | None = None):
    env = {k: v for k, v in os.environ.items() if k != "BILLING_CRASH_AFTER_READ"}
    if crash_after is not None:
        env["BILLING_CRASH_AFTER_READ"] = str(crash_after)
    return subprocess.run(
        [sys.executable, str(EXAMPLE), ledger.url, billing_url, "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_exactly_once(service: ModuleType, ledger: Ledger, billing_url: str) -> None:
    position, lines = booked(service, billing_url)
    assert lines == expected(ledger.credits)
    assert position == ledger.credits[-1].position
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line[-1]] -= line[-2]
    assert totals == ledger.credited


# -- crash between reading and committing, restart -----------------------------------------


@pytest.mark.parametrize("crash_at", [1, 2, "last"])
def test_a_crash_between_reading_and_committing_loses_and_repeats_nothing(
    service, ledger, tmp_path, crash_at
):
    billing_url = f"sqlite:///{tmp_path / 'billing.db'}"
    n = len(ledger.credits) if crash_at == "last" else crash_at

    crashed = run(ledger, billing_url, crash_after=n)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert f"crashing before committing position {ledger.credits[n - 1].position}" in (
        crashed.stdout
    )
    # The n-th credit's line and position were written but never committed.
    position, lines = booked(service, billing_url)
    assert lines == expected(ledger.credits[: n - 1])
    assert position == (ledger.credits[n - 2].position if n > 1 else 0)

    restarted = run(ledger, billing_url)
    assert restarted.returncode == 0, restarted.stderr
    assert f"applied {len(ledger.credits) - n + 1} credit(s)" in restarted.stdout
    assert_exactly_once(service, ledger, billing_url)

    again = run(ledger, billing_url)
    assert again.returncode == 0, again.stderr
    assert "applied 0 credit(s)" in again.stdout
    assert_exactly_once(service, ledger, billing_url)


# -- the guards, in process ----------------------------------------------------------------


@pytest.fixture
def open_ledger_file(ledger):
    opened = open_ledger(ledger.url)
    yield opened
    opened.close()


def test_an_error_before_the_commit_writes_nothing(service, ledger, open_ledger_file, tmp_path):
    billing_url = f"sqlite:///{tmp_path / 'billing.db'}"

    def fail_on_third(entry: CreditEntry) -> None:
        if entry.position == ledger.credits[2].position:
            raise RuntimeError("lost the connection")

    with billing(service, billing_url) as session_factory:
        with pytest.raises(RuntimeError):
            service.apply_credits(open_ledger_file, session_factory, before_commit=fail_on_third)
        assert booked(service, billing_url) == (
            ledger.credits[1].position,
            expected(ledger.credits[:2]),
        )
        applied = service.apply_credits(open_ledger_file, session_factory, batch=2)
        assert applied == ledger.credits[2:]
        assert service.apply_credits(open_ledger_file, session_factory) == []
    assert_exactly_once(service, ledger, billing_url)


def test_a_credit_handed_out_again_is_skipped(service, ledger, open_ledger_file, tmp_path):
    billing_url = f"sqlite:///{tmp_path / 'billing.db'}"

    class Redelivering:
        """A feed that forgets where the reader is and starts over every time."""

        def credits(self, after: int = 0, limit: int = 1000) -> list[CreditEntry]:
            return open_ledger_file.credits(after=0, limit=limit)

    with billing(service, billing_url) as session_factory:
        assert service.apply_credits(Redelivering(), session_factory) == ledger.credits
        assert service.apply_credits(Redelivering(), session_factory) == []
    assert_exactly_once(service, ledger, billing_url)


def test_the_database_refuses_a_second_line_for_a_credit(
    service, ledger, open_ledger_file, tmp_path
):
    billing_url = f"sqlite:///{tmp_path / 'billing.db'}"
    with billing(service, billing_url) as session_factory:
        service.apply_credits(open_ledger_file, session_factory)
        with session_factory.begin() as session:  # a bad restore of the position
            session.get(service.FeedPosition, service.FEED).position = 0
        with pytest.raises(service.IntegrityError):
            service.apply_credits(open_ledger_file, session_factory)
        assert booked(service, billing_url) == (0, expected(ledger.credits))


def test_the_billing_database_may_be_postgresql(service, ledger, fresh_postgres_url):
    crashed = run(ledger, fresh_postgres_url, crash_after=3)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert booked(service, fresh_postgres_url) == (
        ledger.credits[1].position,
        expected(ledger.credits[:2]),
    )
    for _ in range(2):
        assert run(ledger, fresh_postgres_url).returncode == 0
        assert_exactly_once(service, ledger, fresh_postgres_url)
