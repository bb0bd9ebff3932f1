"""Every command's --help ends with an example of that command."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from sla_ledger.cli import main
from tests.cli.conftest import PLAIN


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group under ``group``, the group itself first."""
    yield path
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


def example(help_text: str) -> str:
    """The lines of the help's "Example:" section, or "" when it has none."""
    _, found, rest = help_text.partition("\n  Example:\n")
    return rest.split("\n\n")[0] if found else ""


@pytest.mark.parametrize("path", list(commands(main)), ids=lambda p: " ".join(p) or "sla-ledger")
def test_the_help_shows_an_example_of_the_command(path):
    result = CliRunner(env=PLAIN).invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    shown = example(result.stdout)
    assert shown, f"'sla-ledger {' '.join(path)} --help' has no 'Example:' section"
    assert "sla-ledger" in shown and " ".join(path) in shown, shown


def test_a_help_text_without_an_example_is_noticed():
    assert example("Usage: x\n\n  Does things.\n\nOptions:\n  --help\n") == ""
    assert example("  Does.\n\n  Example:\n    sla-ledger x\n\nOptions:\n") == "    sla-ledger x"


def test_the_walk_reaches_every_command_of_the_group():
    found = list(commands(main))
    assert {("verify",), ("statement",), ("completion",), ("init",)} <= set(found)
    assert {path[0] for path in found if path} == set(main.commands)
