"""Command lines no shell would pass still end in one error line (tests/reliability/fuzz)."""

from click.testing import CliRunner

from sla_ledger.cli import main


def test_an_argument_with_a_nul_character_is_a_usage_error_not_a_traceback(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["--url", url, "backup", "\x00"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.output == "error: an argument contains a NUL character (\\x00): remove it\n"


def test_a_path_too_long_for_the_file_system_is_one_error_line(tmp_path) -> None:
    from sla_ledger import open_ledger

    url = f"sqlite:///{tmp_path / 'x.db'}"
    open_ledger(url).close()
    result = CliRunner().invoke(main, ["--url", url, "backup", "a" * 300])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: cannot use 'aaaa")
    assert result.output.endswith("...: File name too long\n")


def test_a_store_that_fails_mid_command_is_one_error_line_and_records_nothing(tmp_path) -> None:
    import sqlite3
    from datetime import timedelta

    from sla_ledger import Service, open_ledger

    path = tmp_path / "x.db"
    ledger = open_ledger(f"sqlite:///{path}")
    ledger.register_service(
        Service(service_id="web", locations=("fra",), probe_interval=timedelta(seconds=30))
    )
    before = ledger.digest()
    ledger.close()
    with sqlite3.connect(path) as db:  # damage done outside the library: every write now fails
        db.execute(
            "CREATE TRIGGER broken BEFORE INSERT ON sla_log_leaves BEGIN SELECT * FROM gone; END"
        )
    probes = tmp_path / "probes.csv"
    probes.write_text("target,location,timestamp,ok\nweb,fra,2026-11-26T10:00:00Z,1\n")
    result = CliRunner().invoke(main, ["--url", f"sqlite:///{path}", "ingest", "csv", str(probes)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == (
        "error: the store failed: no such table: main.gone (OperationalError); "
        "a transaction under way was rolled back; those committed before it stay recorded"
    )
    assert open_ledger(f"sqlite:///{path}").digest() == before
