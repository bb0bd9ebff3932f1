"""The recovery point, tested: a backup taken while writer processes go on recording holds
every event committed before it started and none in part, and a backup killed part-way
leaves no backup or the previous complete one."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sla_ledger import BackupRefused, ManualClock, Probe, SlaLedger, open_ledger
from sla_ledger.audit.backup import backup, restore
from sla_ledger.audit.backup_files import EVENTS_FILE, MANIFEST_FILE
from tests.integration.backups import (
    backup_text,
    build_source,
    export_text,
    first_lines,
    in_source_positions,
    manifest_of,
    start_process,
)

WRITERS = ("fra", "ams", "lon")
PAGES = 3  # the backup reads at least this many pages of 500 events


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.slow
def test_a_backup_while_writers_go_on_holds_every_event_committed_before_it_whole(
    new_store, tmp_path
):
    url = new_store()
    source = build_source(url)
    stop = tmp_path / "stop"
    writers = [start_process("write", url, location, str(stop)) for location in WRITERS]
    try:
        wait_for(lambda: (source.recorder.max_notification_id() or 0) > 500 * PAGES)
        committed_before = source.recorder.max_notification_id() or 0
        seen_during = 0

        def writers_go_on(done: int, total: int) -> None:
            nonlocal seen_during
            if not seen_during:  # part-way through: let the writers commit 50 more events
                wait_for(lambda: (source.recorder.max_notification_id() or 0) > total + 50)
                seen_during = source.recorder.max_notification_id() or 0

        report = backup(source, tmp_path / "bk", on_progress=writers_go_on)
    finally:
        stop.touch()
        outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], outputs

    manifest = manifest_of(tmp_path / "bk")
    assert committed_before <= report.last_position < seen_during <= source.position
    positions = [n.id for n in source.recorder.select_notifications(start=1, limit=100_000)]
    held = [p for p in positions if p <= report.last_position]
    assert [manifest.position_of(n) for n in range(1, manifest.events + 1)] == held
    everything = export_text(source)
    assert backup_text(tmp_path / "bk") == first_lines(everything, manifest.events)

    restore(tmp_path / "bk", target := new_store())
    copy = open_ledger(target)
    assert export_text(copy) == first_lines(everything, manifest.events)
    assert copy.statements() == source.statements()
    assert in_source_positions(copy.credits(), manifest) == source.credits()


def record_many(ledger: SlaLedger, batches: int, start: datetime) -> None:
    for n in range(batches):
        ledger.record_probes([Probe("api", "fra", start + timedelta(seconds=n), True)])


def killed_part_way(url: str, directory: Path, *more: str) -> None:
    process = start_process("backup-and-die", url, str(directory), *more)
    _, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, err


CLOCK = datetime(2026, 5, 10, tzinfo=UTC)


@pytest.mark.slow
def test_a_first_backup_killed_part_way_leaves_no_backup(new_store, tmp_path):
    url = new_store()
    source = build_source(url)
    record_many(
        open_ledger(url, clock=ManualClock(CLOCK)), 500 * PAGES, datetime(2026, 5, 4, tzinfo=UTC)
    )

    killed_part_way(url, tmp_path / "bk")

    assert not (tmp_path / "bk").exists()
    (partial,) = tmp_path.glob(".bk.partial-*")
    assert (partial / EVENTS_FILE).stat().st_size > 0
    assert not (partial / MANIFEST_FILE).exists()
    with pytest.raises(BackupRefused, match="is not a backup"):
        restore(tmp_path / "bk", f"sqlite:///{tmp_path}/never.db")

    backup(source, tmp_path / "bk")  # the next run clears what the killed one left
    assert list(tmp_path.glob(".bk.partial-*")) == []
    assert backup_text(tmp_path / "bk") == export_text(source)


@pytest.mark.slow
def test_an_appending_backup_killed_part_way_leaves_the_previous_complete_backup(
    new_store, tmp_path
):
    url = new_store()
    source = build_source(url)
    backup(source, tmp_path / "bk")
    previous = export_text(source)
    files = {name: (tmp_path / "bk" / name).read_bytes() for name in (EVENTS_FILE, MANIFEST_FILE)}
    record_many(
        open_ledger(url, clock=ManualClock(CLOCK)), 500 * PAGES, datetime(2026, 5, 4, tzinfo=UTC)
    )

    killed_part_way(url, tmp_path / "bk", "--append")

    assert (tmp_path / "bk" / MANIFEST_FILE).read_bytes() == files[MANIFEST_FILE]
    events = (tmp_path / "bk" / EVENTS_FILE).read_bytes()
    assert events.startswith(files[EVENTS_FILE])
    assert len(events) > len(files[EVENTS_FILE])  # what the killed run wrote, which nobody reads
    report = restore(tmp_path / "bk", target := new_store())
    assert export_text(open_ledger(target)) == previous
    assert report.events == len(previous.splitlines())

    again = backup(source, tmp_path / "bk", append=True)
    assert again.added == 500 * PAGES
    assert backup_text(tmp_path / "bk") == export_text(source)
    assert (tmp_path / "bk" / EVENTS_FILE).stat().st_size == manifest_of(tmp_path / "bk").bytes
