"""`backup` and `restore`: a live store backed up, restored whole or up to a point."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli, url_of


def test_a_backup_restores_into_a_new_store_with_every_figure(april, tmp_path):
    april("close", "--now", "2026-05-02T01:00:00Z")
    result = april("backup", str(tmp_path / "bk"))
    assert result.exit_code == 0, result.output
    events = len((tmp_path / "bk" / "events.jsonl").read_text().splitlines())
    digest = april("digest").stdout.strip()
    assert result.stdout == (
        f"backed up {events} events to {tmp_path / 'bk'} (log positions 1 to {events})\n"
        f"its log digest: {digest}\n"
    )

    copy = Cli(url_of(tmp_path / "copy.db"))
    result = copy("restore", str(tmp_path / "bk"), "--to", copy.url)
    assert result.exit_code == 0, result.output
    first, second, third, fourth = result.stdout.splitlines()
    assert first == (
        f"restored {events} of the backup's {events} events into sqlite {tmp_path / 'copy.db'}, "
        f"up to log position {events}"
    )
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert (
        second == f"the last restored event was recorded at {manifest['last_event']['recorded_at']}"
    )
    assert third == f"the restored log's digest: {digest}"
    assert fourth.startswith("the backup last read its store at ")
    statement = ("statement", "--contract", "c1", "--month", "2026-04", "--json")
    assert copy(*statement).stdout == april(*statement).stdout
    assert copy("digest").stdout == april("digest").stdout
    assert copy("credits", "--json").stdout == april("credits", "--json").stdout


def test_backup_and_restore_speak_json(april, tmp_path):
    backed_up = json.loads(april("backup", str(tmp_path / "bk"), "--json").stdout)
    april("close", "--now", "2026-05-02T01:00:00Z")
    appended = json.loads(april("backup", "--append", str(tmp_path / "bk"), "--json").stdout)
    target = url_of(tmp_path / "copy.db")
    restored = json.loads(april("restore", str(tmp_path / "bk"), "--to", target, "--json").stdout)

    assert backed_up["events"] == backed_up["added"] == backed_up["last_position"] == 33
    assert (appended["events"], appended["added"], appended["appended"]) == (35, 2, True)
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert appended["last_recorded_at"] == manifest["last_event"]["recorded_at"]
    assert restored == {
        "directory": str(tmp_path / "bk"),
        "target": f"sqlite {tmp_path / 'copy.db'}",
        "events": 35,
        "probes": 31 * 24 * 60,
        "backup_events": 35,
        "last_position": 35,
        "last_recorded_at": appended["last_recorded_at"],
        "backup_updated_at": appended["updated_at"],
        "digest": appended["digest"],
        "splits_instant": False,
    }


def test_restore_until_takes_an_instant_or_a_number_of_events(april, tmp_path):
    april("backup", str(tmp_path / "bk"))

    def restore(*until: str) -> dict:
        target = url_of(tmp_path / f"copy{len(list(tmp_path.iterdir()))}.db")
        result = april("restore", str(tmp_path / "bk"), "--to", target, "--json", *until)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    # Day n of April is recorded at the start of day n + 1, as line n + 2.
    assert restore("--until", "2026-04-11T00:00:00+00:00")["events"] == 12
    assert restore("--until", "2026-04-11T01:59:59+02:00")["events"] == 11
    assert restore("--until", "5")["last_position"] == 5
    assert restore("--position", "7")["events"] == 7


def test_restore_refuses_an_until_that_is_neither_and_a_store_that_holds_events(april, tmp_path):
    april("backup", str(tmp_path / "bk"))
    before = april("services", "--json").stdout

    result = april("restore", str(tmp_path / "bk"), "--to", april.url, "--until", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not an RFC 3339 instant" in result.stderr
    assert "or a number of events such as 1200" in result.stderr

    result = april("restore", str(tmp_path / "bk"), "--to", april.url)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the store sqlite {tmp_path / 'april.db'} is not empty (its log reaches "
        "position 33); restore into a new, empty store\n"
    )
    assert april("services", "--json").stdout == before

    result = april("restore", str(tmp_path / "bk"), "--to", "mysql://somewhere/db")
    assert result.exit_code == 2
    assert "'--to'" in result.stderr and "unsupported store URL" in result.stderr


def test_a_damaged_backup_is_refused_naming_the_line(april, tmp_path):
    april("backup", str(tmp_path / "bk"))
    events = tmp_path / "bk" / "events.jsonl"
    events.write_bytes(events.read_bytes()[:-10])

    result = april("restore", str(tmp_path / "bk"), "--to", url_of(tmp_path / "copy.db"))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: line 33: cut short: ")
    assert not (tmp_path / "copy.db").exists()


def test_append_refuses_a_directory_that_holds_no_backup(april, tmp_path):
    (tmp_path / "bk").mkdir()

    result = april("backup", "--append", str(tmp_path / "bk"))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'bk'} is not a backup: it has no ")
