"""Fixtures of the integration tests: new stores of each kind."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

NewStore = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
    """Makes new, empty stores of one kind: SQLite files, or PostgreSQL databases."""
    if request.param == "sqlite":
        numbers = itertools.count()
        yield lambda: f"sqlite:///{tmp_path}/store{next(numbers)}.db"
        return
    databases = request.getfixturevalue("postgres_databases")
    with ExitStack() as stack:
        yield lambda: stack.enter_context(databases())
