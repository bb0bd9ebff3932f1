"""Prints how many fuzz cases the session tried (docs/reliability.md quotes the figure)."""

from __future__ import annotations

import pytest

from tests.reliability.fuzz.counter import CASES
from tests.reliability.fuzz.world import Template, build_at


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    terminalreporter.section("fuzz cases tried")
    for test, cases in sorted(CASES.items()):
        terminalreporter.write_line(f"{cases:>8,}  {test}")
    terminalreporter.write_line(f"{sum(CASES.values()):>8,}  in all")


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The world (``world.py``) in an SQLite file, built once; copy it per example."""
    directory = tmp_path_factory.mktemp("fuzz-world")
    path = directory / "template.db"
    return Template(path, build_at(f"sqlite:///{path}"), directory)
