"""Counts the fuzz cases tried in a session, per test, for the summary at the end."""

from __future__ import annotations

import os
from collections import Counter

CASES: Counter[str] = Counter()


def count() -> None:
    """One more case for the running test."""
    CASES[os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]] += 1
