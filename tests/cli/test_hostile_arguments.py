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
