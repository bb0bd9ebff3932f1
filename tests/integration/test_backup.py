"""Backups and point-in-time restores, on real SQLite files and real PostgreSQL databases."""

from __future__ import annotations

import fcntl
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sla_ledger import BackupRefused, ImportFailed, ManualClock, StoreError, open_ledger
from sla_ledger.adapters.encryption import new_key
from sla_ledger.adapters.jsonl import import_jsonl
from sla_ledger.audit.backup import backup, restore
from sla_ledger.audit.backup_files import EVENTS_FILE, MANIFEST_FILE
from sla_ledger.merkle import Frontier, leaf_hash
from tests.integration.backups import (
    CLOSE,
    LATE_INCIDENT,
    backup_text,
    build_source,
    export_text,
    first_lines,
    in_source_positions,
    lines_recorded_by,
    manifest_of,
)
from tests.integration.scenario import api_service, at, new_ledger, probes, record


@pytest.fixture
def source_url(new_store) -> str:
    url = new_store()
    build_source(url).close()
    return url


def test_a_restored_backup_holds_the_same_events_statements_and_credits(
    source_url, new_store, tmp_path
):
    source = open_ledger(source_url)
    report = backup(source, tmp_path / "bk")
    manifest = manifest_of(tmp_path / "bk")
    target = new_store()

    restored = restore(tmp_path / "bk", target)

    everything = export_text(source)
    assert backup_text(tmp_path / "bk") == everything
    copy = open_ledger(target)
    assert export_text(copy) == everything
    assert copy.statements() == source.statements()
    assert in_source_positions(copy.credits(), manifest) == source.credits()
    assert restored.events == report.events == manifest.events == len(everything.splitlines())
    assert restored.last_position == report.last_position == source.position
    assert restored.last_recorded_at == report.last_recorded_at == LATE_INCIDENT
    assert restored.digest == report.digest == manifest.digest == str(source.digest())
    assert str(copy.digest()) == str(source.digest())


def test_the_manifest_maps_positions_across_the_gaps_postgresql_leaves(source_url, tmp_path):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    manifest = manifest_of(tmp_path / "bk")
    positions = [n.id for n in source.recorder.select_notifications(start=1, limit=10_000)]

    assert [manifest.position_of(line) for line in range(1, len(positions) + 1)] == positions
    gaps = len(manifest.positions) - 1
    assert gaps == (1 if source_url.startswith("postgresql") else 0)
    assert manifest.last_position == positions[-1] == manifest.events + gaps
    assert manifest.source.kind == source_url.split(":")[0]
    assert "password" not in manifest.model_dump_json()


def test_restore_until_an_instant_keeps_the_events_recorded_by_then(
    source_url, new_store, tmp_path
):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    everything = export_text(source)
    target = new_store()

    # The instant of the close: its two statements and two credits, not the late incident.
    report = restore(tmp_path / "bk", target, until=CLOSE)

    kept = lines_recorded_by(everything, CLOSE)
    assert kept == len(everything.splitlines()) - 5  # the incident, 2 restatements, 2 adjustments
    copy = open_ledger(target)
    assert export_text(copy) == first_lines(everything, kept)
    assert report.events == kept
    assert report.last_recorded_at == CLOSE
    assert [s.version for s in copy.statements()] == [1, 1]
    assert len(copy.credits()) == 2


def test_restore_until_a_number_of_events_keeps_that_many(source_url, new_store, tmp_path):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    target = new_store()

    report = restore(tmp_path / "bk", target, until=7)

    assert export_text(open_ledger(target)) == first_lines(export_text(source), 7)
    assert report.events == 7
    assert report.digest == f"7:{source.prove_consistency(7).old_root}"
    assert report.last_position == 7  # before the gap


def test_a_region_binding_recorded_after_the_history_it_holds_is_kept_by_an_instant_cut(
    source_url, new_store, tmp_path
):
    # A store created in June, bound to "eu", into which March to May were imported.
    bound = open_ledger(
        new_store(), clock=ManualClock(datetime(2026, 6, 1, tzinfo=UTC)), region="eu"
    )
    import_jsonl(bound, io.StringIO(export_text(open_ledger(source_url))))
    backup(bound, tmp_path / "bk")
    history = export_text(bound)
    assert history.startswith('{"type":"LedgerBound"')

    report = restore(tmp_path / "bk", target := new_store(), until=CLOSE)

    assert report.events == lines_recorded_by(history.split("\n", 1)[1], CLOSE) + 1
    copy = open_ledger(target)
    assert copy.region == "eu"
    assert export_text(copy) == first_lines(history, report.events)


def test_a_cut_through_a_month_close_keeps_part_of_it_and_says_so(source_url, new_store, tmp_path):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    lines = export_text(source).splitlines()
    statement = next(n for n, line in enumerate(lines, 1) if '"StatementIssued"' in line)
    assert '"CreditIssued"' in lines[statement]  # its credit, in the same transaction

    report = restore(tmp_path / "bk", target := new_store(), until=statement)

    assert report.splits_instant
    copy, _clock = new_ledger(target, CLOSE + timedelta(hours=1))
    (issued,) = copy.statements()
    assert issued.credit > 0 and copy.credits() == []
    # The month is closed for that line: closing again issues the other contract's only.
    assert [s.contract_id for s in copy.close_due_months()] == ["globex"]
    assert [c.contract_id for c in copy.credits()] == ["globex"]
    assert not restore(tmp_path / "bk", new_store(), until=statement + 3).splits_instant


def test_restore_up_to_a_position_keeps_the_events_at_it_and_before(
    source_url, new_store, tmp_path
):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    manifest = manifest_of(tmp_path / "bk")
    everything = export_text(source)
    (start, count), *after_gaps = manifest.positions
    before_gap = start + count - 1

    report = restore(tmp_path / "bk", target := new_store(), position=before_gap - 1)

    assert export_text(open_ledger(target)) == first_lines(everything, before_gap - 1)
    assert report.events == report.last_position == before_gap - 1
    if after_gaps:  # PostgreSQL: a position nobody holds keeps what comes before it
        assert after_gaps[0][0] == before_gap + 2
        report = restore(tmp_path / "bk", new_store(), position=before_gap + 1)
        assert report.events == report.last_position == before_gap
        report = restore(tmp_path / "bk", target := new_store(), position=before_gap + 2)
        assert (report.events, report.last_position) == (before_gap + 1, before_gap + 2)
        assert export_text(open_ledger(target)) == first_lines(everything, before_gap + 1)


def test_restore_refuses_a_point_the_backup_does_not_reach(source_url, tmp_path):
    source = open_ledger(source_url)
    backup(source, tmp_path / "bk")
    target = tmp_path / "never.db"
    last = source.position

    with pytest.raises(BackupRefused, match=f"ends at position {last}"):
        restore(tmp_path / "bk", f"sqlite:///{target}", position=last + 1)
    with pytest.raises(BackupRefused, match="cannot restore the first"):
        restore(tmp_path / "bk", f"sqlite:///{target}", until=10_000)
    with pytest.raises(BackupRefused, match="one"):
        restore(tmp_path / "bk", f"sqlite:///{target}", until=3, position=3)
    assert not target.exists()


def test_restoring_into_a_store_that_holds_events_is_refused_and_leaves_it_unchanged(
    source_url, new_store, tmp_path
):
    backup(open_ledger(source_url), tmp_path / "bk")
    occupied, _clock = new_ledger(url := new_store())
    occupied.register_service(api_service())
    before = export_text(occupied)

    with pytest.raises(BackupRefused, match="is not empty"):
        restore(tmp_path / "bk", url)

    assert export_text(open_ledger(url)) == before


def test_appending_adds_exactly_the_events_recorded_since_the_last_run(source_url, tmp_path):
    source, _clock = new_ledger(source_url, LATE_INCIDENT)
    first = backup(source, tmp_path / "bk")
    for day in (4, 5, 6):
        record(source, probes(at(day, month=5), at(day + 1, month=5)))

    report = backup(source, tmp_path / "bk", append=True)

    assert report.added == 3 and report.events == first.events + 3
    assert report.appended
    assert backup_text(tmp_path / "bk") == export_text(source)
    manifest = manifest_of(tmp_path / "bk")
    assert (manifest.created_at, manifest.updated_at) == (LATE_INCIDENT, report.last_recorded_at)
    again = backup(source, tmp_path / "bk", append=True)
    assert again.added == 0 and again.events == report.events


def test_append_refuses_a_backup_of_another_store_and_leaves_it_as_it_was(
    source_url, new_store, tmp_path
):
    backup(open_ledger(source_url), tmp_path / "bk")
    files = [(tmp_path / "bk" / name).read_bytes() for name in (EVENTS_FILE, MANIFEST_FILE)]
    other = build_source(new_store())  # the same history, recorded again: other streams

    with pytest.raises(BackupRefused, match="is not a backup of this store"):
        backup(other, tmp_path / "bk", append=True)

    assert [(tmp_path / "bk" / name).read_bytes() for name in (EVENTS_FILE, MANIFEST_FILE)] == (
        files
    )


def test_a_new_backup_refuses_a_directory_that_holds_anything(source_url, tmp_path):
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "notes.txt").write_text("mine")

    with pytest.raises(BackupRefused, match="exists"):
        backup(open_ledger(source_url), tmp_path / "bk")

    assert [p.name for p in (tmp_path / "bk").iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_second_run_appending_at_the_same_time_is_refused(source_url, tmp_path):
    backup(open_ledger(source_url), tmp_path / "bk")
    manifest = (tmp_path / "bk" / MANIFEST_FILE).read_bytes()

    with open(tmp_path / "bk" / EVENTS_FILE, "rb") as running:
        fcntl.flock(running.fileno(), fcntl.LOCK_EX)  # as a run that is appending holds it
        with pytest.raises(BackupRefused, match="another backup run is appending"):
            backup(open_ledger(source_url), tmp_path / "bk", append=True)

    assert (tmp_path / "bk" / MANIFEST_FILE).read_bytes() == manifest
    assert backup(open_ledger(source_url), tmp_path / "bk", append=True).added == 0


def test_append_to_a_directory_that_is_no_backup_is_refused(source_url, tmp_path):
    with pytest.raises(BackupRefused, match="is not a backup"):
        backup(open_ledger(source_url), tmp_path / "nothing", append=True)


# -- damaged backups --------------------------------------------------------------------------


def assert_nothing_restored(url: str) -> None:
    if url.startswith("sqlite"):
        assert not Path(url.removeprefix("sqlite:///")).exists()
    else:
        assert open_ledger(url).recorder.max_notification_id() is None


def test_a_backup_cut_short_is_refused_naming_the_line_and_nothing_is_restored(
    source_url, new_store, tmp_path
):
    backup(open_ledger(source_url), tmp_path / "bk")
    events = tmp_path / "bk" / EVENTS_FILE
    lines = events.read_bytes().splitlines(keepends=True)
    events.write_bytes(b"".join(lines[:4]) + lines[4][:100])

    with pytest.raises(ImportFailed, match=r"^line 5: cut short: "):
        restore(tmp_path / "bk", target := new_store())
    assert_nothing_restored(target)

    events.write_bytes(b"".join(lines[:4]))
    with pytest.raises(ImportFailed, match=r"^line 5: missing: .* ends after line 4"):
        restore(tmp_path / "bk", target := new_store())
    assert_nothing_restored(target)


def test_a_damaged_line_is_refused_naming_it(source_url, new_store, tmp_path):
    backup(open_ledger(source_url), tmp_path / "bk")
    events = tmp_path / "bk" / EVENTS_FILE
    lines = events.read_bytes().splitlines(keepends=True)
    lines[2] = b"[" + lines[2][1:]  # the object now opens as an array
    events.write_bytes(b"".join(lines))

    with pytest.raises(ImportFailed, match=r"^line 3: malformed JSON"):
        restore(tmp_path / "bk", target := new_store())
    assert_nothing_restored(target)


def test_an_event_altered_into_another_well_formed_one_is_refused_by_the_checksum(
    source_url, new_store, tmp_path
):
    backup(open_ledger(source_url), tmp_path / "bk")
    events = tmp_path / "bk" / EVENTS_FILE
    text = events.read_bytes()
    events.write_bytes(text.replace(b'"monthly_fee":"1000.00"', b'"monthly_fee":"9000.00"', 1))

    with pytest.raises(ImportFailed, match="does not match the SHA-256 its manifest records"):
        restore(tmp_path / "bk", target := new_store())
    assert_nothing_restored(target)


def test_every_import_check_applies_even_to_a_backup_whose_manifest_was_rewritten_to_match(
    source_url, new_store, tmp_path
):
    backup(open_ledger(source_url), tmp_path / "bk")
    events = tmp_path / "bk" / EVENTS_FILE
    lines = events.read_bytes().splitlines(keepends=True)
    assert b'"type":"ContractSigned"' in lines[1]
    forged = b"".join(lines[:1] + lines[2:])  # acme's contract is gone
    events.write_bytes(forged)
    manifest = manifest_of(tmp_path / "bk")
    (start, count), *rest = manifest.positions
    rewritten = manifest.model_copy(
        update={
            "events": manifest.events - 1,
            "bytes": len(forged),
            "sha256": hashlib.sha256(forged).hexdigest(),
            "digest": str(Frontier(leaf_hash(ln[:-1]) for ln in forged.splitlines(True)).digest()),
            "positions": ((start, count - 1), *rest),
        }
    )
    (tmp_path / "bk" / MANIFEST_FILE).write_text(rewritten.model_dump_json())
    first_statement = next(n for n, line in enumerate(lines[2:], 2) if b"StatementIssued" in line)

    with pytest.raises(ImportFailed, match=rf"^line {first_statement}: unknown contract 'acme'"):
        restore(tmp_path / "bk", target := new_store())
    assert_nothing_restored(target)


def test_a_backup_of_a_newer_format_is_refused_saying_which(source_url, tmp_path):
    backup(open_ledger(source_url), tmp_path / "bk")
    path = tmp_path / "bk" / MANIFEST_FILE
    path.write_text(path.read_text().replace('"format_version": 1', '"format_version": 2'))

    with pytest.raises(BackupRefused, match="format version 2; this sla-ledger reads version 1"):
        restore(tmp_path / "bk", f"sqlite:///{tmp_path}/never.db")
    assert not (tmp_path / "never.db").exists()


def test_a_manifest_whose_digest_is_not_its_lines_is_refused(source_url, tmp_path):
    backup(open_ledger(source_url), tmp_path / "bk")
    path = tmp_path / "bk" / MANIFEST_FILE
    manifest = manifest_of(tmp_path / "bk")
    other = f"{manifest.events}:{'0' * 64}"
    path.write_text(manifest.model_copy(update={"digest": other}).model_dump_json())

    with pytest.raises(BackupRefused, match="the manifest was changed after the backup wrote it"):
        restore(tmp_path / "bk", f"sqlite:///{tmp_path}/never.db")
    with pytest.raises(BackupRefused, match="the manifest was changed after the backup wrote it"):
        backup(open_ledger(source_url), tmp_path / "bk", append=True)


def test_a_backup_of_a_store_encrypted_at_rest_is_in_clear_and_restores_encrypted_again(
    source_url, new_store, tmp_path
):
    pytest.importorskip("cryptography")
    key = new_key()
    secret = new_store()
    import_jsonl(
        open_ledger(secret, cipher_key=key), io.StringIO(export_text(open_ledger(source_url)))
    )
    backup(open_ledger(secret, cipher_key=key), tmp_path / "bk")

    assert backup_text(tmp_path / "bk") == export_text(open_ledger(source_url))
    restore(tmp_path / "bk", target := new_store(), cipher_key=key)
    with pytest.raises(StoreError):
        open_ledger(target, cipher_key="")
    assert export_text(open_ledger(target, cipher_key=key)) == backup_text(tmp_path / "bk")
