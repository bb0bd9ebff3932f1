"""How hard the reliability suites push: a CI-sized run by default, the heavy run with
``HYPOTHESIS_PROFILE=heavy`` (``scripts/reliability`` sets it)."""

from __future__ import annotations

import os

HEAVY = os.environ.get("HYPOTHESIS_PROFILE") == "heavy"


def sized(ci: int, heavy: int) -> int:
    """``heavy`` under the heavy profile, else ``ci``."""
    return heavy if HEAVY else ci
