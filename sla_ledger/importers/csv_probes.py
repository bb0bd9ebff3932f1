"""Importing probe results from a CSV file: one row per probe, columns named by a header.

By default the header names ``timestamp``, ``target``, ``location``, ``ok`` and
(optionally) ``latency``; ``CsvOptions`` says which columns hold each field,
how instants are written, which strings mean up and down, the delimiter and
the latency unit. The file is read as a stream; rows are numbered by the line
they start on, the header being line 1.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sla_ledger.domain.time import is_aware, out_of_range, to_us
from sla_ledger.domain.values import ValueObject
from sla_ledger.exceptions import ImportFailed, InvalidConfig, SlaLedgerError
from sla_ledger.importers.batches import BATCH, record_rows
from sla_ledger.importers.prometheus import instant_us
from sla_ledger.importers.report import ImportReport, Progress, Rejected, Row

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

UNIT_US = {"s": 1_000_000, "ms": 1_000, "us": 1}
_FRACTION = re.compile(r"\.(\d+)")
PROGRESS_EVERY = 4096  # rows


class CsvOptions(ValueObject):
    """How to read a CSV file of probe results.

    Args:
        timestamp_format: ``rfc3339`` (``2026-10-01T00:00:15Z``, an offset is
            required) or ``unix`` (seconds since the epoch, decimals allowed).
        ok_values, not_ok_values: the strings that mean up and down, compared
            without case and surrounding spaces.
        latency_column: the column of latencies; empty cells mean none. Left at
            its default, a file without that column has no latencies.
        latency_unit: ``s``, ``ms`` or ``us``; latencies are truncated to whole
            microseconds.
    """

    error_class: ClassVar[type[SlaLedgerError]] = InvalidConfig

    timestamp_column: str = Field(default="timestamp", min_length=1)
    target_column: str = Field(default="target", min_length=1)
    location_column: str = Field(default="location", min_length=1)
    ok_column: str = Field(default="ok", min_length=1)
    latency_column: str | None = "latency"
    timestamp_format: Literal["rfc3339", "unix"] = "rfc3339"
    ok_values: tuple[str, ...] = Field(
        default=("1", "true", "up", "ok", "yes", "success"), min_length=1
    )
    not_ok_values: tuple[str, ...] = Field(
        default=("0", "false", "down", "fail", "failed", "no", "error"), min_length=1
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    latency_unit: Literal["s", "ms", "us"] = "ms"

    @field_validator("ok_values", "not_ok_values")
    @classmethod
    def _folded(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(value.strip().casefold() for value in values)

    @model_validator(mode="after")
    def _disjoint(self) -> CsvOptions:
        both = sorted(set(self.ok_values) & set(self.not_ok_values))
        if both:
            raise ValueError(f"{both} are both ok_values and not_ok_values")
        if self.delimiter in ('"', "\n", "\r"):
            raise ValueError(f"delimiter {self.delimiter!r} cannot separate CSV fields")
        return self


def import_csv(
    ledger: SlaLedger,
    path: str | Path,
    options: CsvOptions | None = None,
    *,
    strict: bool = False,
    on_progress: Progress | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Record the probe results of a CSV file; report the rejected rows with their lines.

    Args:
        strict: record nothing if any row would be rejected (``RowsRejected``).
        on_progress: called now and then with ``(bytes read, file size)``.
    """
    path = Path(path)
    chosen = options or CsvOptions()
    return record_rows(
        ledger,
        lambda: read_csv(path, chosen, on_progress),
        str(path),
        strict=strict,
        batch_size=batch_size,
    )


def read_csv(
    path: Path, options: CsvOptions, on_progress: Progress | None = None
) -> Iterator[Row | Rejected]:
    """The rows of a CSV file, and the rejected ones with their line numbers."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise ImportFailed(f"cannot read {path}: {error.strerror}") from None
    with stream:
        size = path.stat().st_size
        reader = csv.reader(_lines(stream, path), delimiter=options.delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFailed(f"{path} is empty: expected a header line naming the columns")
            parse = _RowParser(options, header, path)
            line = reader.line_num + 1
            for fields in reader:
                if fields:
                    yield parse(fields, line)
                line = reader.line_num + 1
                if on_progress is not None and line % PROGRESS_EVERY == 0:
                    on_progress(stream.tell(), size)
        except csv.Error as error:
            raise ImportFailed(f"{path}: line {reader.line_num}: {error}") from None
        if on_progress is not None:
            on_progress(size, size)


def _lines(stream: IO[bytes], path: Path) -> Iterator[str]:
    """Text lines with their line endings, as ``csv`` wants them (``newline=''``)."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise ImportFailed(f"{path}: line {number} is not UTF-8: {error}") from None


class _RowParser:
    """Turns the fields of one CSV row into a ``Row``, or a ``Rejected`` saying why not."""

    def __init__(self, options: CsvOptions, header: list[str], path: Path) -> None:
        self.options = options
        names = [name.strip() for name in header]
        self.width = len(names)

        def column(name: str, option: str) -> int:
            if name not in names:
                raise InvalidConfig(
                    f"{path}: no column {name!r} (the {option} option); "
                    f"the header names {', '.join(map(repr, names))}"
                )
            return names.index(name)

        o = options
        self.at = column(o.timestamp_column, "timestamp_column")
        self.target = column(o.target_column, "target_column")
        self.location = column(o.location_column, "location_column")
        self.ok = column(o.ok_column, "ok_column")
        self.latency: int | None = None
        # Left at its default, the latency column is optional; named, it must be there.
        chosen = "latency_column" in o.model_fields_set
        if o.latency_column and (o.latency_column in names or chosen):
            self.latency = column(o.latency_column, "latency_column")
        self.outcomes = {v: True for v in o.ok_values} | {v: False for v in o.not_ok_values}

    def __call__(self, fields: list[str], line: int) -> Row | Rejected:
        if len(fields) != self.width:
            return Rejected(f"has {len(fields)} fields; the header has {self.width}", line)
        text = fields[self.at].strip()
        at = self._instant(text)
        if isinstance(at, str):
            return Rejected(at, line, value=text)
        ok = self.outcomes.get(fields[self.ok].strip().casefold())
        if ok is None:
            expected = f"one of {', '.join(self.options.ok_values + self.options.not_ok_values)}"
            return Rejected(
                f"ok {fields[self.ok]!r} is not {expected}", line, value=fields[self.ok]
            )
        cell = "" if self.latency is None else fields[self.latency]
        latency = self._latency(cell.strip())
        if isinstance(latency, str):
            return Rejected(latency, line, value=cell)
        target, location = fields[self.target].strip(), fields[self.location].strip()
        return Row(target, location, at, ok, latency, line)

    def _instant(self, text: str) -> int | str:
        if self.options.timestamp_format == "unix":
            try:
                return instant_us(Decimal(text))
            except InvalidOperation:
                return f"timestamp {text!r} is not a number of Unix seconds"
        try:
            instant = datetime.fromisoformat(text.upper())
        except ValueError:
            return f"timestamp {text!r} is not RFC 3339, such as 2026-10-01T00:00:15Z"
        if not is_aware(instant):
            return f"timestamp {text!r} has no UTC offset: add one, e.g. {text}Z"
        fraction = _FRACTION.search(text)
        if fraction and fraction.group(1)[6:].strip("0"):
            return (
                f"timestamp {text!r} is not a whole number of microseconds: sla-ledger "
                "keeps instants to the microsecond and does not round them"
            )
        at = to_us(instant)
        if why := out_of_range(at):
            return f"timestamp {text!r} {why}"
        return at

    def _latency(self, text: str) -> int | str | None:
        if not text:
            return None
        try:
            value = Decimal(text) * UNIT_US[self.options.latency_unit]
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or value.adjusted() > 15:
            unit = self.options.latency_unit
            return f"latency {text!r} is not a non-negative number of {unit} (latency_unit)"
        return int(value)  # truncated to whole microseconds
