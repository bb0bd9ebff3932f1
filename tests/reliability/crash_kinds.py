"""The kinds of work the crash suite kills, what each leaves when nothing kills it, and
what is checked in a store after each kill (``test_crash.py`` runs them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sla_ledger import ImportFailed, ManualClock, SlaLedger, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl, interchange_line
from sla_ledger.importers import import_csv
from tests.reliability import crash_scenario as scenario
from tests.reliability import crash_worker
from tests.reliability.crash_checks import (
    Log,
    assert_batches_whole,
    assert_closes_whole,
    assert_sound,
    figures,
    keys,
    read_log,
)
from tests.reliability.crash_harness import Run

CSV_BATCH = 10_000  # rows per batch of 'sla-ledger ingest csv' (importers.batches.BATCH)


@contextmanager
def opened(url: str, why: str) -> Iterator[SlaLedger]:
    try:
        ledger = open_ledger(url, clock=ManualClock(scenario.CLOSES[1]))
    except Exception as error:
        raise AssertionError(f"{why}: the store does not open: {error}") from error
    try:
        yield ledger
    finally:
        ledger.close()


def closed_figures(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Close April and May in the store (as of 1 June, 02:00) and take the figures."""
    with opened(url, "closing") as ledger:
        ledger.close_due_months(scenario.CLOSES[1])
        return figures(ledger)


# -- stores and what an uninterrupted run leaves in them ----------------------------------------


@dataclass
class Stores:
    """Fresh stores of one backend, empty or copied from another."""

    backend: str
    new: Callable[[], AbstractContextManager[str]]
    copy: Callable[[str], AbstractContextManager[str]]


@dataclass
class Reference:
    """What the work leaves in a store when nothing kills it."""

    url: str
    log: Log
    figures: tuple[list[tuple[object, ...]], list[tuple[object, ...]]]
    seconds: float  # the work's time, from 'started' to 'done'


@dataclass
class World:
    stores: Stores
    directory: Path
    references: dict[str, Reference] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # what a kind's work starts from


def build_references(world: World, keep: ExitStack) -> None:
    """One uninterrupted run of each kind; each kind's store is the next one's input."""
    stores, refs = world.stores, world.references
    ingested = keep.enter_context(stores.new())
    refs["ingest"] = _reference(ingested, ("ingest", ingested), closed=True, copy=stores.copy)
    terms = world.templates["ingest-csv"] = keep.enter_context(stores.new())
    _with_terms(terms)
    csv_store = keep.enter_context(stores.copy(terms))
    csv_args = ("cli", csv_store, "ingest", "csv", str(_csv_file(world.directory)))
    refs["ingest-csv"] = _reference(csv_store, csv_args, closed=True, copy=stores.copy)
    world.templates["close"] = ingested  # its months not closed: closed_figures used a copy
    closed = keep.enter_context(stores.copy(ingested))
    refs["close"] = _reference(closed, ("close", closed))
    export = world.directory / "export.jsonl"
    with opened(closed, "exporting") as ledger:
        export_jsonl(ledger, export)
    imported = keep.enter_context(stores.new())
    refs["import"] = _reference(imported, ("cli", imported, "import", str(export)))


def _reference(
    url: str,
    args: tuple[str, ...],
    closed: bool = False,
    copy: Callable[[str], AbstractContextManager[str]] | None = None,
) -> Reference:
    said: list[str] = []  # run here: it is not killed, and a process costs a second
    assert crash_worker.run(args[0], args[1], list(args[2:]), said.append) == 0, said
    done = Run(args, said, 0, 0.0, "")
    with opened(url, "reference") as ledger:
        log = read_log(ledger)
        taken = figures(ledger)
    if closed:
        assert copy is not None
        with copy(url) as copied:  # closed in a copy: the close work starts from the original
            taken = closed_figures(copied)
    return Reference(url, log, taken, done.work_seconds)


def _with_terms(url: str) -> None:
    clock = ManualClock(scenario.SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    scenario.terms(ledger, clock)
    ledger.close()


def _csv_file(directory: Path) -> Path:
    path = directory / "probes.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("timestamp,target,location,ok\n")
        for probe in scenario.all_probes():
            out.write(f"{probe.at.isoformat()},{probe.target},{probe.location},{int(probe.ok)}\n")
    return path


# -- the kinds of work --------------------------------------------------------------------------


BATCHES = [keys(scenario.day_probes(day)) for day in scenario.DAYS]
CSV_ROWS = list(scenario.all_probes())
CSV_BATCHES = [keys(CSV_ROWS[i : i + CSV_BATCH]) for i in range(0, len(CSV_ROWS), CSV_BATCH)]
AT_MOST_ONCE = ("ServiceRegistered", "ContractSigned", "MaintenanceAnnounced", "IncidentResolved")


def check_ingested(ledger: SlaLedger, run: Run, batches: list, why: str) -> None:
    log = assert_sound(ledger, why)
    reported = [int(line.split()[1]) for line in run.lines if line.startswith("batch ")]
    assert_batches_whole(log, batches, reported, why)
    topics = log.topics
    assert topics["ServiceRegistered"] <= len(scenario.SERVICES), f"{why}: {topics}"
    assert topics["ContractSigned"] <= len(scenario.CONTRACTS), f"{why}: {topics}"
    assert all(topics[t] <= 1 for t in AT_MOST_ONCE[2:]), f"{why}: {topics}"
    assert topics["IncidentDeclared"] <= 1, f"{why}: {topics}"


def check_closed(ledger: SlaLedger, reference: Reference, why: str) -> None:
    log = assert_sound(ledger, why)
    assert_closes_whole(log, reference.log, why)
    declared = log.topics["IncidentDeclared"]
    assert declared <= 1 + len(scenario.LATE), f"{why}: {declared} incidents declared"


def check_imported(ledger: SlaLedger, reference: Reference, why: str) -> None:
    log = assert_sound(ledger, why)
    assert len(log.events) in (0, len(reference.log.events)), (
        f"{why}: {len(log.events)} of the file's {len(reference.log.events)} events imported"
    )
    if log.events:
        lines = [interchange_line(e) for e in log.events]
        assert lines == [interchange_line(e) for e in reference.log.events], why


def _again(url: str, work: Callable[[SlaLedger, ManualClock, scenario.Say], None]) -> None:
    clock = ManualClock(scenario.SIGNED_AT)
    said: list[str] = []
    with opened(url, "sending again") as ledger:
        ledger.clock = clock
        work(ledger, clock, said.append)
    # 'batch N RECORDED DUPLICATES' or 'closed ISSUED'; 'declared' when it declared one
    recorded = [line for line in said if line.split()[-2 if "batch" in line else -1] != "0"]
    assert said and not recorded, f"sent again, it recorded {recorded}"


def _csv_again(url: str, path: Path) -> None:
    with opened(url, "sending again") as ledger:
        report = import_csv(ledger, path)
    assert (report.recorded, report.duplicates) == (0, len(CSV_ROWS)), report


def _import_again(url: str, path: Path) -> None:
    with (
        opened(url, "sending again") as ledger,
        pytest.raises(
            ImportFailed, match=r"^line 1: this ServiceRegistered is in the store already"
        ),
    ):
        import_jsonl(ledger, path)


@dataclass(frozen=True)
class Kind:
    name: str
    args: Callable[[World, str], tuple[str, ...]]
    prepare: Callable[[World], AbstractContextManager[str]]
    check: Callable[[SlaLedger, Run, Reference, str], None]
    again: Callable[[World, str], None]  # sends the work once more, in this process
    ended_well: Callable[[Run], bool] = lambda run: run.returncode == 0 and run.finished
    closes: bool = False  # whether the work closes the months itself


KINDS = {
    "ingest": Kind(
        "ingest",
        lambda world, url: ("ingest", url),
        lambda world: world.stores.new(),
        lambda ledger, run, ref, why: check_ingested(ledger, run, BATCHES, why),
        lambda world, url: _again(url, scenario.ingest),
    ),
    "ingest-csv": Kind(
        "ingest-csv",
        lambda world, url: ("cli", url, "ingest", "csv", str(world.directory / "probes.csv")),
        lambda world: world.stores.copy(world.templates["ingest-csv"]),
        lambda ledger, run, ref, why: check_ingested(ledger, run, CSV_BATCHES, why),
        lambda world, url: _csv_again(url, world.directory / "probes.csv"),
    ),
    "close": Kind(
        "close",
        lambda world, url: ("close", url),
        lambda world: world.stores.copy(world.templates["close"]),
        lambda ledger, run, ref, why: check_closed(ledger, ref, why),
        lambda world, url: _again(url, scenario.close),
        closes=True,
    ),
    "import": Kind(
        "import",
        lambda world, url: ("cli", url, "import", str(world.directory / "export.jsonl")),
        lambda world: world.stores.new(),
        lambda ledger, run, ref, why: check_imported(ledger, ref, why),
        lambda world, url: _import_again(url, world.directory / "export.jsonl"),
        # Sent again after it committed, an import is refused and records nothing.
        ended_well=lambda run: (
            (run.returncode == 0 and run.finished)
            or (run.returncode == 2 and "is in the store already" in run.stderr)
        ),
        closes=True,
    ),
}
