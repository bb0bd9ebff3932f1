"""Recording the rows read from a monitoring file, in batches, through ``SlaLedger.record_probes``.

Each row is first checked as the ledger would check it (a registered target, a
location registered for its service, not from the ledger clock's future), so
that one bad row is rejected on its own and the rest of its batch is recorded.
A probe that contradicts a recorded one (same id, another latency) is found by
the ledger: its batch is split in halves until that row is alone, and rejected.

With ``strict``, the file is read twice: first every row is checked and nothing
is recorded if any is rejected; then the rows are recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, cast

from sla_ledger.adapters.probe_index import ProbeIndex, series_key
from sla_ledger.domain.evidence import Probe, probe_id
from sla_ledger.domain.ingest import FUTURE_SKEW
from sla_ledger.domain.time import format_instant, from_us, to_us
from sla_ledger.exceptions import ImportFailed, ProbeConflict, RowsRejected
from sla_ledger.importers.report import ImportReport, Rejected, Row, Tally

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

BATCH = 10_000
"""Rows per ``record_probes`` call: one transaction and one event each."""

RowSource = Callable[[], Iterator[Row | Rejected]]
"""Opens the file and reads it from the start, each time it is called."""


class Admission:
    """What the ledger would refuse in a row, known before it is recorded."""

    def __init__(self, ledger: SlaLedger) -> None:
        self.ledger = ledger
        state = ledger.catch_up()
        self.locations = {
            target: state.services[service][1].locations
            for target, service in state.target_service.items()
        }
        self.refresh()

    def refresh(self) -> None:
        """Move the limit for the future along with the ledger's clock (R14)."""
        state = self.ledger.catch_up()
        self.not_after = max(to_us(self.ledger.clock.now()), state.last_recorded) + FUTURE_SKEW

    def target_reason(self, target: str, location: str) -> str | None:
        """Why probes of ``target`` from ``location`` cannot be recorded, if they cannot."""
        allowed = self.locations.get(target)
        if allowed is None:
            return (
                f"unknown target {target!r}: expected a registered service id or "
                "'service/component/instance' (see 'sla-ledger services')"
            )
        if location not in allowed:
            return (
                f"location {location!r} is not registered for {target!r}; "
                f"its locations: {', '.join(allowed)}"
            )
        return None

    def reason(self, row: Row) -> str | None:
        if row.at_us > self.not_after:
            return (
                f"{format_instant(row.at_us)} is after the ledger clock's "
                f"{format_instant(self.not_after - FUTURE_SKEW)} (allowing "
                f"{FUTURE_SKEW // 1_000_000} s of clock skew): a probe is recorded after it happens"
            )
        return self.target_reason(row.target, row.location)


def record_rows(
    ledger: SlaLedger,
    source: RowSource,
    file: str,
    *,
    strict: bool = False,
    batch_size: int = BATCH,
) -> ImportReport:
    """Record every good row of ``source``; report the others. See the module's docstring."""
    if strict:
        checked = check_rows(ledger, source(), file, batch_size)
        if checked.rejected:
            first = checked.rejections[0]
            raise RowsRejected(
                f"{file}: {checked.rejected} of {checked.read} probe results rejected "
                f"(the first: {first.where}: {first.reason}); --strict: nothing was recorded",
                checked,
            )
    tally = Tally(file, strict)
    admission = Admission(ledger)
    rows = _admitted(source(), admission, tally)
    try:
        for batch in _batches(rows, batch_size):
            _record(ledger, batch, tally)
            admission.refresh()
    except ImportFailed as error:
        if isinstance(error, RowsRejected) or not tally.recorded:
            raise
        raise ImportFailed(
            f"{error}; the import stopped there, {tally.recorded} probes were recorded before "
            "it: fix the file and import it again (what was recorded is not recorded twice)"
        ) from None
    return tally.report()


def check_rows(
    ledger: SlaLedger, rows: Iterable[Row | Rejected], file: str, batch_size: int = BATCH
) -> ImportReport:
    """Every rejection an import of ``rows`` would make, recording nothing.

    A conflict between two rows of the file is found when both are in one batch;
    rows further apart are found while recording.
    """
    tally = Tally(file, strict=True)
    for batch in _batches(_admitted(rows, Admission(ledger), tally), batch_size):
        _check_conflicts(ledger, batch, tally)
    return tally.report()


def _admitted(rows: Iterable[Row | Rejected], admission: Admission, tally: Tally) -> Iterator[Row]:
    for item in rows:
        if isinstance(item, Rejected):
            tally.read += item.samples
            tally.reject(item)
            continue
        tally.read += 1
        reason = admission.reason(item)
        if reason is None:
            yield item
        else:
            tally.reject(Rejected.of(item, reason))


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


def _record(ledger: SlaLedger, batch: list[Row], tally: Tally) -> None:
    try:
        receipt = ledger.record_probes(
            [Probe(r.target, r.location, from_us(r.at_us), r.ok, r.latency_us) for r in batch]
        )
    except ProbeConflict as error:
        if len(batch) > 1:
            half = len(batch) // 2
            _record(ledger, batch[:half], tally)
            _record(ledger, batch[half:], tally)
        elif tally.strict:
            where = Rejected.of(batch[0], str(error)).where
            raise ImportFailed(f"{tally.file}: {where}: {error}") from None
        else:
            tally.reject(Rejected.of(batch[0], str(error)))
        return
    tally.recorded += receipt.recorded
    tally.batches += receipt.batch_id is not None


def _check_conflicts(ledger: SlaLedger, batch: list[Row], tally: Tally) -> None:
    """Reject rows that give a probe another latency than a row before or a recorded probe."""
    series: dict[tuple[str, str], dict[tuple[int, int], tuple[int, Row]]] = {}
    for row in batch:
        probes = series.setdefault((row.target, row.location), {})
        latency = -1 if row.latency_us is None else row.latency_us
        first = probes.setdefault((row.at_us, int(row.ok)), (latency, row))
        if first[0] != latency:
            where = Rejected.of(first[1], "").where
            tally.reject(Rejected.of(row, _conflict(row, f"{where} gave it", first[0])))
    evidence = ledger.catch_up().evidence
    index = cast(ProbeIndex, ledger.recorder)
    for (target, location), probes in series.items():
        ats = [at for at, _ in probes]
        last = evidence.last_instant(target, location)
        if last is None or last < min(ats):
            continue
        stored = index.existing_probes(series_key(target, location), min(ats), max(ats))
        for key, (latency, row) in probes.items():
            known = stored.get(key)
            if known is not None and known != latency:
                tally.reject(Rejected.of(row, _conflict(row, "it was recorded with", known)))


def _conflict(row: Row, before: str, latency: int) -> str:
    def shown(us: int) -> str:
        return "no latency" if us < 0 else f"latency {us} us"

    now = -1 if row.latency_us is None else row.latency_us
    return (
        f"probe {probe_id(row.target, row.location, row.at_us, row.ok)} has {shown(now)}, "
        f"but {before} {shown(latency)}: record a correction instead"
    )
