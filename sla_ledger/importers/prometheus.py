"""Importing a Prometheus ``query_range`` response: blackbox exporter's ``probe_success``.

The file is the JSON body of ``GET /api/v1/query_range`` (or of an instant query of
a range selector, ``probe_success[1d]``, which has the same shape)::

    {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "probe_success", "instance": "https://...", ...},
         "values": [[1790812800.781, "1"], [1790812815.781, "0"], ...]}, ...]}}

It is read as a stream (ijson), so memory does not grow with the file. Each sample
is one probe result at its instant: ``"1"`` up, ``"0"`` down; anything else (NaN,
``+Inf``, an average such as ``"0.5"``) is rejected with the reason. Timestamps
are parsed as exact decimals: an instant that is not a whole number of
microseconds is rejected, never rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import ijson

from sla_ledger.exceptions import ImportFailed
from sla_ledger.importers.batches import BATCH, Admission, record_rows
from sla_ledger.importers.prometheus_mapping import PrometheusMapping, show_labels
from sla_ledger.importers.report import ImportReport, Progress, Rejected, Row

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

SERIES = "data.result.item"
METRIC = "data.result.item.metric"
LABEL = "data.result.item.metric."
SAMPLE = "data.result.item.values.item"
ITEM = "data.result.item.values.item.item"
HISTOGRAM = "data.result.item.histograms.item"
OUTCOMES = {"1": True, "0": False}
SCALARS = frozenset({"number", "string", "boolean", "null"})
LATEST_US = 253_402_300_800 * 1_000_000  # 10000-01-01: beyond any datetime
PROGRESS_EVERY = 4096  # samples


def import_prometheus(
    ledger: SlaLedger,
    path: str | Path,
    mapping: PrometheusMapping | str | Path,
    *,
    strict: bool = False,
    on_progress: Progress | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Record the probe results of a ``query_range`` response; report the rejected ones.

    Args:
        mapping: a ``PrometheusMapping`` or the path of its TOML file; it must name
            registered services, components and locations (``UnknownReference``).
        strict: record nothing if any sample would be rejected (``RowsRejected``).
        on_progress: called now and then with ``(bytes read, file size)``.
    """
    path = Path(path)
    if not isinstance(mapping, PrometheusMapping):
        source, mapping = str(mapping), PrometheusMapping.load(Path(mapping))
    else:
        source = "the mapping"
    mapping.check(ledger.services(), source)
    known = Admission(ledger).target_reason
    rules = mapping

    def rows() -> Iterator[Row | Rejected]:
        return read_query_range(path, rules, known, on_progress)

    return record_rows(ledger, rows, str(path), strict=strict, batch_size=batch_size)


def read_query_range(
    path: Path,
    mapping: PrometheusMapping,
    known: Callable[[str, str], str | None] = lambda target, location: None,
    on_progress: Progress | None = None,
) -> Iterator[Row | Rejected]:
    """The samples of a ``query_range`` response as rows, and the rejected ones.

    Args:
        known: why probes of a (target, location) cannot be recorded, if they cannot:
            such a series is rejected whole, as one ``Rejected`` counting its samples.
    """
    try:
        stream = path.open("rb")
    except OSError as error:
        raise ImportFailed(f"cannot read {path}: {error.strerror}") from None
    with stream:
        size = path.stat().st_size
        reader = _Reader(mapping, known)
        try:
            yield from reader.rows(stream, size, on_progress)
        except ijson.JSONError as error:
            raise ImportFailed(f"{path} is not valid JSON: {error}") from None
        reader.finish(path)


def instant_us(seconds: object) -> int | str:
    """Unix seconds, an ``int`` or an exact ``Decimal``, as integer microseconds; or why not."""
    if seconds.__class__ is int:
        micros = seconds * 1_000_000
    elif isinstance(seconds, Decimal) and seconds.is_finite() and seconds.adjusted() < 13:
        numerator, denominator = seconds.as_integer_ratio()
        micros, rest = divmod(numerator * 1_000_000, denominator)
        if rest:
            return (
                f"timestamp {seconds} is not a whole number of microseconds: sla-ledger "
                "keeps instants to the microsecond and does not round them"
            )
    else:
        return f"timestamp {_text(seconds)} is not a number of Unix seconds"
    if not 0 <= micros < LATEST_US:
        return f"timestamp {seconds} is not an instant between 1970 and 9999"
    return micros


def outcome_reason(value: object) -> str:
    """Why a sample value is not a probe result."""
    if not isinstance(value, str):
        return (
            f"value {_text(value)} is not a string: Prometheus writes sample values as "
            'strings, "1" (up) or "0" (down)'
        )
    if value in ("NaN", "+Inf", "-Inf"):
        return f'value "{value}" is no probe result: expected "1" (up) or "0" (down)'
    return (
        f'value "{value}" is neither "1" (up) nor "0" (down): query probe_success as it '
        "is, not averaged or summed"
    )


class _Reader:
    """A state machine over ijson's parse events, one series at a time."""

    def __init__(self, mapping: PrometheusMapping, known: Callable[[str, str], str | None]):
        self.mapping = mapping
        self.known = known
        self.status: str | None = None
        self.result_type: str | None = None
        self.errors: dict[str, str] = {}
        self.saw_result = False
        self.series_no = -1
        self._new_series()

    def _new_series(self) -> None:
        self.labels: dict[str, str] = {}
        self.label: str | None = None
        self.text = f"result[{self.series_no}]"
        self.target: str | None = None
        self.location = ""
        self.refusal: str | None = None
        self.refused = 0
        self.histograms = 0
        self.pending: list[tuple[int, list[Any]]] = []
        self.sample_no = 0

    def rows(
        self, stream: IO[bytes], size: int, on_progress: Progress | None
    ) -> Iterator[Row | Rejected]:
        items: list[Any] = []
        for prefix, event, value in ijson.parse(stream, use_float=False):
            if prefix == ITEM:
                items.append(value)
            elif prefix == SAMPLE:
                if event == "start_array":
                    items = []
                    continue
                if event == "end_array" or event == "start_map" or event in SCALARS:
                    # a sample that is no array is rejected, as one of the wrong length
                    row = self._sample(items if event == "end_array" else [])
                    if row is not None:
                        yield row
                    if on_progress is not None and self.sample_no % PROGRESS_EVERY == 0:
                        on_progress(stream.tell(), size)
            elif prefix.startswith(SAMPLE):
                items.append(None)  # a nested value: not a timestamp, nor a value
            else:
                yield from self._event(prefix, event, value)
        if on_progress is not None:
            on_progress(size, size)

    def _sample(self, items: list[Any]) -> Row | Rejected | None:
        index = self.sample_no
        self.sample_no += 1
        if self.target is not None:
            return self._row(index, items)
        if self.refusal is not None or self.status not in (None, "success"):
            self.refused += 1
        else:
            self.pending.append((index, items))  # the labels come after the values
        return None

    def _row(self, index: int, items: list[Any]) -> Row | Rejected:
        if len(items) != 2:
            reason = "a sample is a [timestamp, value] pair; this one is not"
            return Rejected(reason, series=self.text, sample=index)
        at, value = items
        micros = instant_us(at)
        if isinstance(micros, str):
            return Rejected(micros, series=self.text, sample=index, value=_text(at))
        ok = OUTCOMES.get(value) if value.__class__ is str else None
        if ok is None:
            shown = value if isinstance(value, str) else _text(value)
            return Rejected(outcome_reason(value), series=self.text, sample=index, value=shown)
        assert self.target is not None
        return Row(self.target, self.location, micros, ok, None, None, self.text, index)

    def _event(self, prefix: str, event: str, value: Any) -> Iterator[Row | Rejected]:
        if prefix == METRIC:
            if event == "map_key":
                self.label = value
            elif event == "end_map":
                yield from self._resolve()
        elif prefix.startswith(LABEL):
            self._label(event, value)
        elif prefix == SERIES:
            if event == "start_map":
                self.series_no += 1
                self._new_series()
            elif event == "end_map":
                yield from self._end_series()
        elif prefix == HISTOGRAM and event == "start_array":
            self.histograms += 1
        else:
            self._envelope(prefix, event, value)

    def _label(self, event: str, value: Any) -> None:
        if self.label is None:
            return
        if event == "string":
            self.labels[self.label] = value
        else:
            self.refusal = f"label {self.label!r} is not a string"
            self.labels[self.label] = _text(value)

    def _envelope(self, prefix: str, event: str, value: Any) -> None:
        if prefix == "status":
            self.status = value
        elif prefix == "data.resultType":
            self.result_type = value
            if value != "matrix":
                raise ImportFailed(
                    f"the response's resultType is {value!r}: expected 'matrix', the answer "
                    "of /api/v1/query_range (or of an instant query of a range selector "
                    "such as probe_success[1d])"
                )
        elif prefix == "data.result" and event == "start_array":
            self.saw_result = True
        elif prefix in ("error", "errorType") and event == "string":
            self.errors[prefix] = value

    def _resolve(self) -> Iterator[Row | Rejected]:
        self.text = f"result[{self.series_no}] {show_labels(self.labels)}"
        resolved = self.mapping.resolve(self.labels)
        if self.status not in (None, "success"):
            resolved = f"the response's status is {self.status!r}"
        elif isinstance(resolved, tuple):
            resolved = self.known(*resolved) or resolved
        if self.refusal is None and isinstance(resolved, tuple):
            self.target, self.location = resolved
            for index, items in self.pending:
                yield self._row(index, items)
        else:
            self.refusal = self.refusal or str(resolved)
            self.refused += len(self.pending)
        self.pending = []

    def _end_series(self) -> Iterator[Row | Rejected]:
        if self.target is None and self.refusal is None:
            yield from self._resolve()  # a series without "metric": no labels at all
        if self.refused:
            yield Rejected(str(self.refusal), series=self.text, samples=self.refused)
        if self.histograms:
            reason = "native histogram samples are not probe results"
            yield Rejected(reason, series=self.text, samples=self.histograms)

    def finish(self, path: Path) -> None:
        """``ImportFailed`` when the file was not a successful matrix response."""
        if self.status != "success":
            details = ": ".join(self.errors[k] for k in ("errorType", "error") if k in self.errors)
            raise ImportFailed(
                f"{path}: the response's status is {self.status!r}, not 'success'"
                + (f" ({details})" if details else "")
                + ": save the body of a query that succeeded"
            )
        if not self.saw_result or self.result_type is None:
            raise ImportFailed(
                f"{path} has no data.result matrix: expected the JSON body of a Prometheus "
                "/api/v1/query_range response"
            )


def _text(value: object) -> str:
    text = str(value) if isinstance(value, Decimal | int) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
