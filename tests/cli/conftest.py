"""Running the CLI in-process against real SQLite files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sla_ledger import Contract, ContractLine, ManualClock, Probe, Service, open_ledger
from sla_ledger.cli import main

# Plain text whatever the caller's terminal settings: no colours, wide tables.
PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1", "COLUMNS": "120"}


@dataclass
class Cli:
    url: str

    def __call__(self, *args: str) -> Result:
        return CliRunner(env=PLAIN).invoke(main, ["--url", self.url, *args])


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


APRIL = datetime(2026, 4, 1, tzinfo=UTC)
OUTAGE = datetime(2026, 4, 10, 12, tzinfo=UTC)


def build_april(path: Path) -> None:
    """SPEC's first worked example: April 2026 (UTC, 720 h), one 45-minute outage.

    ``web`` is probed every 60 s from one location; ``c1``'s line ``core``
    (1,000.00 EUR, target 99.9 %) gets 2,589,300 / 2,592,000 = 959/960 ->
    99.8958 %, 10 % = 100.00 EUR. Nothing is closed.
    """
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    ledger = open_ledger(url_of(path), clock=clock)
    ledger.register_service(
        Service(service_id="web", locations=("fra",), probe_interval=timedelta(minutes=1))
    )
    line = ContractLine(
        line_id="core", service="web", monthly_fee=Decimal("1000.00"), currency="EUR"
    )
    ledger.sign_contract(
        Contract(contract_id="c1", customer="Initech", region="eu", starts_at=APRIL, lines=(line,))
    )
    for day in range(31):  # April and an hour of May: the close needs the month's end
        start = APRIL + timedelta(days=day)
        clock.set(start + timedelta(days=1))
        ledger.record_probes(
            Probe("web", "fra", at, not OUTAGE <= at < OUTAGE + timedelta(minutes=45))
            for at in (start + timedelta(minutes=m) for m in range(24 * 60))
        )
    ledger.close()


@pytest.fixture(scope="session")
def april_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("april") / "april.db"
    build_april(path)
    return path


@pytest.fixture
def april(april_template: Path, tmp_path: Path) -> Cli:
    """A private copy of the April store, for tests that write to it."""
    path = tmp_path / "april.db"
    shutil.copy(april_template, path)
    return Cli(url_of(path))
