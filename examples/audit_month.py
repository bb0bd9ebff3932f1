"""An auditor checks a month from an export, as docs/auditing.md walks through.

The operator's side builds a small ledger, closes April and hands over an
export and the digest it published. The auditor's side then:

1. recomputes the digest of the export file with nothing but hashlib and the
   algorithm of docs/log-digest.md, and compares it with the published one;
2. replays the export with the library (``verify``): every statement and
   credit must come out of the events alone;
3. checks that April's statement was computed from a prefix of that log.

Run it: ``python examples/audit_month.py``.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sla_ledger import Contract, ContractLine, ManualClock, Probe, Service, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl

APRIL = datetime(2026, 4, 1, tzinfo=UTC)


# -- the auditor's own code: SHA-256 and RFC 6962, nothing of sla_ledger --------------------


def merkle_root(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1 over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two below n
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def leaves_of(export: Path) -> list[bytes]:
    """One leaf per line of the export: SHA-256 of 0x00 and the line without its end."""
    with export.open("rb") as lines:
        return [hashlib.sha256(b"\x00" + line.rstrip(b"\n")).digest() for line in lines]


# -- the operator's side ----------------------------------------------------------------------


def operator(folder: Path) -> tuple[Path, str]:
    """A month with a 45-minute outage, closed; returns the export and the published digest."""
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    ledger = open_ledger(f"sqlite:///{folder / 'operator.db'}", clock=clock)
    ledger.register_service(
        Service(service_id="web", locations=("fra",), probe_interval=timedelta(minutes=5))
    )
    line = ContractLine(
        line_id="core", service="web", monthly_fee=Decimal("1000.00"), currency="EUR"
    )
    ledger.sign_contract(
        Contract(contract_id="c1", customer="Initech", region="eu", starts_at=APRIL, lines=(line,))
    )
    outage = datetime(2026, 4, 10, 12, tzinfo=UTC)
    for day in range(31):
        start = APRIL + timedelta(days=day)
        clock.set(start + timedelta(days=1))
        ledger.record_probes(
            Probe("web", "fra", at, not outage <= at < outage + timedelta(minutes=45))
            for at in (start + timedelta(minutes=m) for m in range(0, 24 * 60, 5))
        )
    clock.set(datetime(2026, 5, 2, 1, tzinfo=UTC))
    ledger.close_due_months()
    export = folder / "export.jsonl"
    export_jsonl(ledger, export)
    return export, str(ledger.digest())


# -- the auditor's side -----------------------------------------------------------------------


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        export, published = operator(Path(directory))

        leaves = leaves_of(export)
        recomputed = f"{len(leaves)}:{merkle_root(leaves).hex()}"
        print("digest of the file matches:", recomputed == published)

        ledger = open_ledger("memory://")
        import_jsonl(ledger, export)
        report = ledger.verify(published)
        print("replay reproduces every figure:", report.ok, f"({report.statements} statement)")

        april = ledger.statement_for("c1", "core", "2026-04")
        assert april is not None and april.log_digest is not None
        prefix = merkle_root(leaves[: april.log_digest.size]).hex()
        print("statement computed from this log:", prefix == april.log_digest.root)
        print(f"April: {april.availability_percent} % -> credit {april.credit} {april.currency}")


if __name__ == "__main__":
    main()
