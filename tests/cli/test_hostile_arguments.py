"""Command lines no shell would pass still end in one error line (tests/reliability/fuzz)."""

from click.testing import CliRunner

from sla_ledger.cli import main


def test_an_argument_with_a_nul_character_is_a_usage_error_not_a_traceback(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["--url", url, "backup", "\x00"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.output == "error: an argument contains a NUL character (\\x00): remove it\n"
