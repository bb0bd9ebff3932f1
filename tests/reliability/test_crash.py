"""Crash safety: ingestion, month close and import, killed with SIGKILL at random points
in real processes, on SQLite and on PostgreSQL (docs/reliability.md, "Crash safety").

Each round takes a fresh store, starts the work in ``crash_worker.py`` and kills it
a random delay after it started writing; the next run sends everything again and is
killed too, and the last runs to its end. After every kill the store must open,
verify by replay, show no partial batch or close, and hold nothing twice; after the
last run it must hold what one uninterrupted run records, a further re-send must
record nothing, and its statements and credits must equal the uninterrupted run's.

The kill delays come from a seeded generator: ``SLA_LEDGER_CRASH_SEED=N`` repeats a
run's delays (the seed is in every failure message and the summary).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sla_ledger import ImportFailed, ManualClock, SlaLedger, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl, interchange_line
from sla_ledger.importers import import_csv
from tests.reliability import crash_scenario as scenario
from tests.reliability.crash_checks import (
    Log,
    assert_batches_whole,
    assert_closes_whole,
    assert_sound,
    figures,
    keys,
    read_log,
)
from tests.reliability.crash_harness import Run, Tally, copied_database, copy_sqlite, run_worker
from tests.reliability.profile import sized

SEED = int(os.environ.get("SLA_LEDGER_CRASH_SEED") or random.SystemRandom().randrange(10**6))
KILLS_PER_ROUND = 3  # the second and third land on re-sends of the work the first killed
REACH = 1.1  # kill delays run up to this share of the uninterrupted work's time
CSV_BATCH = 10_000  # rows per batch of 'sla-ledger ingest csv' (importers.batches.BATCH)
KILLS = {  # per backend: at least 50 in all under the heavy profile
    "ingest": sized(3, 15),
    "ingest-csv": sized(3, 12),
    "close": sized(3, 15),
    "import": sized(3, 15),
}


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
    """Close April and May in the store, as the close work does, and take the figures."""
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


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp(f"crash-{request.param}")
    with ExitStack() as keep:
        if request.param == "sqlite":
            numbers = iter(range(10**9))

            def new_file() -> AbstractContextManager[str]:
                return nullcontext(f"sqlite:///{directory / f's{next(numbers)}.db'}")

            def copy_file(url: str) -> AbstractContextManager[str]:
                return nullcontext(copy_sqlite(url, directory / f"s{next(numbers)}.db"))

            stores = Stores("sqlite", new_file, copy_file)
        else:
            databases = request.getfixturevalue("postgres_databases")
            stores = Stores("postgresql", databases, copied_database)
        world = World(stores, directory)
        _references(world, keep)
        yield world


def _references(world: World, keep: ExitStack) -> None:
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
    run = run_worker(*args)
    assert run.returncode == 0 and run.finished, str(run)
    with opened(url, "reference") as ledger:
        log = read_log(ledger)
        taken = figures(ledger)
    if closed:
        assert copy is not None
        with copy(url) as copied:  # closed in a copy: the close work starts from the original
            taken = closed_figures(copied)
    return Reference(url, log, taken, run.work_seconds)


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
    assert log.topics["IncidentDeclared"] <= 2, f"{why}: the late incident declared twice"


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


# -- rounds of kills -----------------------------------------------------------------------------


@dataclass
class Crashes:
    """One backend and kind of work, killed again and again."""

    world: World
    kind: Kind
    rng: random.Random
    tally: Tally = field(default_factory=Tally)

    @property
    def reference(self) -> Reference:
        return self.world.references[self.kind.name]

    def why(self, run: Run | None = None) -> str:
        where = f"{self.world.stores.backend} {self.kind.name}, seed {SEED}"
        return f"{where}, kill {self.tally.kills}" + (f" ({run})" if run else "")

    def round(self) -> None:
        """A fresh store: kill the work, check, send it again and kill that, check;
        send it again to the end, check it holds what one run records; send it once more."""
        self.tally.rounds += 1
        with self.kind.prepare(self.world) as url:
            args = self.kind.args(self.world, url)
            for _ in range(KILLS_PER_ROUND):
                delay = self.rng.uniform(0, REACH * self.reference.seconds)
                run = run_worker(*args, kill_after=delay)
                self.tally.count(run)
                assert run.killed or self.kind.ended_well(run), self.why(run)
                with opened(url, self.why(run)) as ledger:
                    self.kind.check(ledger, run, self.reference, self.why(run))
                self.tally.resends += 1
            self.finish(url, args)

    def finish(self, url: str, args: tuple[str, ...]) -> None:
        last = run_worker(*args)
        assert self.kind.ended_well(last), self.why(last)
        with opened(url, self.why(last)) as ledger:
            self.kind.check(ledger, last, self.reference, self.why(last))
            log = read_log(ledger)
        assert log.topics == self.reference.log.topics, self.why(last)
        assert len(log.probes) == len(self.reference.log.probes), self.why(last)
        self.kind.again(self.world, url)
        with opened(url, self.why()) as ledger:
            assert len(read_log(ledger).events) == len(log.events), (
                f"{self.why()}: a second full re-send recorded something"
            )
            taken = figures(ledger)
        if not self.kind.closes:
            taken = closed_figures(url)
        assert taken == self.reference.figures, (
            f"{self.why()}: statements or credits differ from the uninterrupted run's"
        )


@pytest.fixture(scope="module")
def summary(request: pytest.FixtureRequest) -> Iterator[dict[tuple[str, str], Tally]]:
    tallies: dict[tuple[str, str], Tally] = {}
    yield tallies
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not tallies:
        return
    lines = [f"crash safety (SLA_LEDGER_CRASH_SEED={SEED}):"]
    lines += [f"  {backend} {kind}: {tally}" for (backend, kind), tally in tallies.items()]
    for backend in sorted({backend for backend, _ in tallies}):
        mine = [t for (b, _), t in tallies.items() if b == backend]
        lines.append(
            f"  {backend}: {sum(t.kills for t in mine)} kills "
            f"({sum(t.mid_work for t in mine)} mid-work) in {sum(t.seconds for t in mine):.1f} s"
        )
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


@pytest.mark.parametrize("kind", list(KINDS))
def test_work_killed_at_random_points_loses_nothing_and_records_nothing_twice(
    world: World, kind: str, summary: dict[tuple[str, str], Tally]
) -> None:
    rng = random.Random(f"{SEED}-{world.stores.backend}-{kind}")
    crashes = Crashes(world, KINDS[kind], rng)
    summary[(world.stores.backend, kind)] = crashes.tally
    began = time.monotonic()
    while crashes.tally.kills < KILLS[kind]:
        assert crashes.tally.rounds < 3 * KILLS[kind], f"{crashes.why()}: kills keep missing"
        crashes.round()
    crashes.tally.seconds = time.monotonic() - began
    assert crashes.tally.mid_work > 0, f"{crashes.why()}: no kill landed mid-work"
