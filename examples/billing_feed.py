"""A billing service consuming the credits feed exactly once.

It keeps the last feed position it applied in its own database, in the same
transaction as the invoice lines it writes, so a crash between reading and
committing neither loses a credit nor applies one twice.

Run: python examples/billing_feed.py [LEDGER_URL]
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sla_ledger import Contract, ContractLine, ManualClock, Probe, Service, SlaLedger, open_ledger


def apply_new_credits(ledger: SlaLedger, billing: sqlite3.Connection) -> int:
    """Apply every credit after our stored position; returns how many were applied."""
    (position,) = billing.execute("SELECT position FROM feed").fetchone()
    applied = 0
    for credit in ledger.credits(after=position):
        with billing:  # one transaction: the invoice line and the new position
            billing.execute(
                "INSERT INTO invoice_line (customer, month, amount, currency) VALUES (?, ?, ?, ?)",
                (credit.contract_id, credit.month, str(-credit.amount), credit.currency),
            )
            billing.execute("UPDATE feed SET position = ?", (credit.position,))
        applied += 1
    return applied


def open_billing(path: str = ":memory:") -> sqlite3.Connection:
    billing = sqlite3.connect(path)
    billing.executescript(
        """
        CREATE TABLE IF NOT EXISTS feed (position INTEGER NOT NULL);
        INSERT INTO feed SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM feed);
        CREATE TABLE IF NOT EXISTS invoice_line (
            customer TEXT, month TEXT, amount TEXT, currency TEXT);
        """
    )
    return billing


def simulate_month(ledger: SlaLedger, clock: ManualClock) -> None:
    locations = ("fra", "ams", "lon")
    ledger.register_service(
        Service(service_id="api", locations=locations, probe_interval=timedelta(minutes=1))
    )
    ledger.sign_contract(
        Contract(
            contract_id="acme",
            customer="ACME",
            region="eu",
            starts_at=datetime(2026, 4, 1, tzinfo=UTC),
            lines=(
                ContractLine(
                    line_id="core", service="api", monthly_fee=Decimal("2400.00"), currency="EUR"
                ),
            ),
        )
    )
    start = datetime(2026, 4, 1, tzinfo=UTC)
    outage = (datetime(2026, 4, 9, 3, tzinfo=UTC), datetime(2026, 4, 9, 11, tzinfo=UTC))
    for day in range(30):
        clock.set(start + timedelta(days=day + 1))
        ledger.record_probes(
            Probe("api", location, at, not outage[0] <= at < outage[1])
            for minute in range(24 * 60)
            for at in [start + timedelta(days=day, minutes=minute)]
            for location in locations
        )
    clock.set(datetime(2026, 5, 1, 1, 30, tzinfo=UTC))
    ledger.close_due_months()


def main(url: str = "memory://") -> None:
    clock = ManualClock(datetime(2026, 3, 30, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    simulate_month(ledger, clock)
    billing = open_billing()
    print("applied", apply_new_credits(ledger, billing))
    print("applied again", apply_new_credits(ledger, billing))  # nothing new: exactly once
    for row in billing.execute("SELECT customer, month, amount, currency FROM invoice_line"):
        print(*row)


if __name__ == "__main__":
    main(*sys.argv[1:])
