"""``sla-ledger completion``: click's own completion scripts, and what they complete."""

from __future__ import annotations

import pytest
from click.shell_completion import BashComplete, ShellComplete
from click.testing import CliRunner

from sla_ledger.cli import main
from tests.cli.conftest import PLAIN


def run(*args: str, **env: str):
    return CliRunner(env={**PLAIN, **env}).invoke(main, list(args))


def offered(args: list[str], incomplete: str) -> list[str]:
    completer = ShellComplete(main, {}, "sla-ledger", "_SLA_LEDGER_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_printed_script_is_the_one_click_produces_for_the_shell(shell):
    printed = run("completion", shell)
    assert printed.exit_code == 0, printed.output
    # What `sla-ledger` prints when a shell asks it through click's variable.
    sourced = run(_SLA_LEDGER_COMPLETE=f"{shell}_source")
    assert sourced.exit_code == 0, sourced.output
    assert printed.stdout == sourced.stdout
    assert f"_SLA_LEDGER_COMPLETE={shell}_complete" in printed.stdout
    assert "_sla_ledger_completion" in printed.stdout


def test_the_bash_script_completes_the_sla_ledger_command():
    script = run("completion", "bash").stdout
    assert "complete -o nosort -F _sla_ledger_completion sla-ledger" in script


def test_completing_ver_offers_the_verify_command():
    assert offered([], "ver") == ["verify"]


def test_completing_an_option_offers_version_not_commands():
    assert offered([], "--ver") == ["--version"]


def test_completing_after_a_command_offers_its_options():
    options = offered(["statement"], "--")
    assert {"--contract", "--month", "--as-known-at", "--json", "--url"} <= set(options)
    assert "verify" not in options


def test_completing_a_choice_offers_its_values():
    assert offered(["export", "--format"], "") == ["jsonl", "csv", "parquet"]
    assert offered(["completion"], "") == ["bash", "zsh", "fish"]


def test_the_bash_protocol_answers_through_the_sla_ledger_command():
    # What the bash script runs on <TAB> after "sla-ledger ver".
    answer = run(_SLA_LEDGER_COMPLETE="bash_complete", COMP_WORDS="sla-ledger ver", COMP_CWORD="1")
    assert answer.exit_code == 0, answer.output
    assert answer.stdout.split() == ["plain,verify"]


def test_an_unknown_shell_is_a_usage_error():
    result = run("completion", "tcsh")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr


def test_completion_matches_the_completer_click_registers_for_bash():
    completer = BashComplete(main, {}, "sla-ledger", "_SLA_LEDGER_COMPLETE")
    assert run("completion", "bash").stdout == completer.source()
