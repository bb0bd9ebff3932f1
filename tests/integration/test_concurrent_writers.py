"""Writers racing to commit keep the log in knowledge-time order (R14).

Each writer stamps its events with its clock before it takes the store's write
lock, so without care the one that stamps later can commit first. The store
refuses events stamped before the last one it holds, and the writer stamps
them again: the log stays ordered, verifies, and exports and imports whole.
"""

from __future__ import annotations

import io
import multiprocessing
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from sla_ledger import Probe, Service, SystemClock, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.domain.time import to_us

WRITERS = 3
BATCHES = 25


class DawdlingClock(SystemClock):
    """The system clock, with a pause after each reading: a slow writer, racing."""

    def now(self) -> datetime:
        instant = super().now()
        time.sleep(random.uniform(0, 0.004))
        return instant


def _write(url: str, writer: int, start: multiprocessing.synchronize.Event) -> None:
    ledger = open_ledger(url, clock=DawdlingClock())
    start.wait()
    for batch in range(BATCHES):
        at = datetime.now(UTC) - timedelta(seconds=1, microseconds=batch)
        ledger.record_probes([Probe(f"web{writer}", "fra", at, True)])
        ledger.declare_incident([f"web{writer}"], at - timedelta(minutes=1), at, "race")
    ledger.close()


def write_concurrently(url: str) -> None:
    ledger = open_ledger(url)
    for writer in range(WRITERS):
        ledger.register_service(
            Service(service_id=f"web{writer}", locations=("fra",), probe_interval=timedelta(1))
        )
    ledger.close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_write, args=(url, w, start)) for w in range(WRITERS)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0


@pytest.fixture(params=["sqlite", "postgres"])
def raced(request, tmp_path) -> str:
    url = (
        f"sqlite:///{tmp_path / 'raced.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("fresh_postgres_url")
    )
    write_concurrently(url)
    return url


def test_racing_writers_leave_the_log_in_recording_order(raced):
    ledger = open_ledger(raced)
    notifications = ledger.recorder.select_notifications(start=1, limit=10_000)
    stamps = [to_us(ledger.mapper.to_domain_event(n).recorded_at) for n in notifications]
    assert len(stamps) == WRITERS * (1 + 2 * BATCHES)
    assert stamps == sorted(stamps)
    report = ledger.verify()
    assert report.ok, report.findings


def test_a_log_written_by_racing_writers_exports_and_imports_whole(raced):
    source = open_ledger(raced)
    export = io.StringIO()
    export_jsonl(source, export)
    copy = open_ledger("memory://")
    import_jsonl(copy, io.StringIO(export.getvalue()))
    assert copy.digest() == source.digest()
