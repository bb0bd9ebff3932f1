"""What an importer reads (rows, rejected rows) and what it tells afterwards (the report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

KEEP = 1000
"""Rejected rows a report lists; beyond them it only counts (memory stays bounded)."""

Progress = Callable[[int, int], None]
"""Called now and then with ``(bytes read, file size)``."""


class Row(NamedTuple):
    """One probe result read from a file, and where it was read.

    ``line`` is the file's line number (CSV); ``series`` and ``sample`` say where in a
    Prometheus response: ``result[2] {labels}`` and the index in its ``values``.
    """

    target: str
    location: str
    at_us: int
    ok: bool
    latency_us: int | None
    line: int | None = None
    series: str | None = None
    sample: int | None = None


@dataclass(frozen=True)
class Rejected:
    """A row (or, with ``samples`` > 1, a whole series) that was not recorded, and why."""

    reason: str
    line: int | None = None
    series: str | None = None
    sample: int | None = None
    samples: int = 1
    value: str | None = None

    @classmethod
    def of(cls, row: Row, reason: str) -> Rejected:
        return cls(reason, row.line, row.series, row.sample)

    @property
    def where(self) -> str:
        """``line 17``, ``result[2] {...} values[5]`` or ``result[2] {...} (5760 samples)``."""
        parts = [f"line {self.line}"] if self.line is not None else []
        parts += [self.series] if self.series is not None else []
        if self.sample is not None:
            parts.append(f"values[{self.sample}]")
        elif self.samples != 1:
            parts.append(f"({self.samples} samples)")
        return " ".join(parts) or "the file"

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "series": self.series,
            "sample": self.sample,
            "samples": self.samples,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Args:
        read: probe results read: rows (CSV) or samples (Prometheus), rejected ones too.
        recorded: probes recorded now.
        duplicates: probes left out because they were recorded before, or repeat a
            row of the file: running an import again records nothing new.
        rejected: probe results not recorded, each for a reason in ``rejections``
            (the first ``KEEP`` of them).
        batches: ``ProbesRecorded`` events written.
    """

    file: str
    read: int
    recorded: int
    duplicates: int
    rejected: int
    batches: int
    rejections: tuple[Rejected, ...] = ()
    strict: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "strict": self.strict,
            "read": self.read,
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "batches": self.batches,
            "rejections": [r.to_json() for r in self.rejections],
            "rejections_listed": len(self.rejections),
        }


@dataclass
class Tally:
    """The counts of an import as it goes."""

    file: str
    strict: bool = False
    read: int = 0
    recorded: int = 0
    rejected: int = 0
    batches: int = 0
    rejections: list[Rejected] = field(default_factory=list)

    def reject(self, rejection: Rejected) -> None:
        self.rejected += rejection.samples
        if len(self.rejections) < KEEP:
            self.rejections.append(rejection)

    def report(self) -> ImportReport:
        return ImportReport(
            file=self.file,
            read=self.read,
            recorded=self.recorded,
            duplicates=self.read - self.rejected - self.recorded,
            rejected=self.rejected,
            batches=self.batches,
            rejections=tuple(self.rejections),
            strict=self.strict,
        )
