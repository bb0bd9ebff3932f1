"""A ledger to back up, built through the public API, and what the backup tests compare.

April 2026 for two contracts on one service (a day of probes per batch, a
45-minute outage on the 10th, a qualifying maintenance window), closed on
1 May (two statements and two credits in one transaction), then an incident
declared late (8 hours) that restates April and adjusts both credits. Between April's
probes and the close, an insert is rolled back: on PostgreSQL that leaves a
gap in the log positions, on SQLite it does not.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from sla_ledger import CreditEntry, SlaLedger
from sla_ledger.adapters.jsonl import export_jsonl
from sla_ledger.audit.backup_files import EVENTS_FILE, MANIFEST_FILE, Manifest
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    record_month,
)

CLOSE = at(1, 2, month=5)
LATE_INCIDENT = at(3, month=5)
ROOT = Path(__file__).resolve().parents[2]
PROCESSES = Path(__file__).resolve().parent / "backup_processes.py"


def build_source(url: str) -> SlaLedger:
    ledger, clock = new_ledger(url)
    ledger.register_service(api_service())
    ledger.sign_contract(contract("acme"))
    ledger.sign_contract(contract("globex", fee="500.00", currency="USD"))
    ledger.announce_maintenance(["api"], at(20, 2), at(20, 4), "upgrade")
    record_month(
        ledger, APRIL, MAY + timedelta(hours=2), down=[(at(10, 12), at(10, 12, 45))], batch=864
    )
    roll_back_an_insert(ledger)
    clock.set(CLOSE)
    assert len(ledger.close_due_months()) == 2
    clock.set(LATE_INCIDENT)
    ledger.declare_incident(["api"], at(15, 2), at(15, 10), "CDN outage, declared late")
    assert len(ledger.close_due_months()) == 2  # 98.78 %: both credits go from 10 to 25 %
    assert len(ledger.credits()) == 4
    return ledger


def roll_back_an_insert(ledger: SlaLedger) -> None:
    """Try to store the first event again: refused, and on PostgreSQL a position is gone."""
    (first,) = ledger.recorder.select_notifications(start=1, limit=1)
    again = StoredEvent(first.originator_id, first.originator_version, first.topic, first.state)
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([again])


def export_text(ledger: SlaLedger) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out)
    return out.getvalue()


def manifest_of(directory: Path) -> Manifest:
    return Manifest.model_validate_json((directory / MANIFEST_FILE).read_bytes())


def backup_text(directory: Path) -> str:
    """The backup's lines, as far as its manifest says."""
    manifest = manifest_of(directory)
    return (directory / EVENTS_FILE).read_bytes()[: manifest.bytes].decode()


def first_lines(text: str, n: int) -> str:
    return "".join(text.splitlines(keepends=True)[:n])


def lines_recorded_by(text: str, instant: datetime) -> int:
    """How many leading lines were recorded at or before ``instant``."""
    count = 0
    for line in text.splitlines():
        if datetime.fromisoformat(json.loads(line)["recorded_at"]) > instant:
            break
        count += 1
    return count


def in_source_positions(credits: list[CreditEntry], manifest: Manifest) -> list[CreditEntry]:
    """A restored store's credits, with their positions as the backed-up store's log had them."""
    return [replace(c, position=manifest.position_of(c.position)) for c in credits]


def start_process(*args: str) -> subprocess.Popen[str]:
    """Run backup_processes.py with this checkout importable."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(PROCESSES), *args],
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
