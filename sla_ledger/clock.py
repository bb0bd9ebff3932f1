"""Knowledge time (R14) comes from a clock the ledger owns, never from callers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from sla_ledger.domain.time import is_aware
from sla_ledger.exceptions import InvalidEvidence


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests, replays and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = _aware(instant)

    def advance(self, by: timedelta) -> None:
        self._now += by


def _aware(instant: datetime) -> datetime:
    if not is_aware(instant):
        raise InvalidEvidence(f"clock time {instant!r} is naive: give it a time zone")
    return instant.astimezone(UTC)
