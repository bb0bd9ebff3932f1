"""``sla-ledger completion bash|zsh|fish``: the script that makes a shell complete commands."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from sla_ledger.cli.app import main

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "sla-ledger"  # the console script the shell completes
COMPLETE_VAR = "_SLA_LEDGER_COMPLETE"  # what click derives from it for that script


@main.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the tab-completion script for SHELL (bash, zsh or fish).

    Load it from the shell's start-up file. The script asks sla-ledger itself
    what to offer (through $_SLA_LEDGER_COMPLETE), so it stays right as
    commands and options change. Bash needs version 4.4 or later.

    \b
    Example:
      eval "$(sla-ledger completion bash)"    # in ~/.bashrc
      eval "$(sla-ledger completion zsh)"     # in ~/.zshrc
      sla-ledger completion fish > ~/.config/fish/completions/sla-ledger.fish
    """
    script = get_completion_class(shell)
    assert script is not None  # every name in SHELLS is one of click's
    click.echo(script(ctx.find_root().command, {}, PROG_NAME, COMPLETE_VAR).source(), nl=False)
