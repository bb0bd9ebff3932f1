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
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field

import pytest

from tests.reliability.crash_checks import figures, read_log
from tests.reliability.crash_harness import Run, Tally, copied_database, copy_sqlite, run_worker
from tests.reliability.crash_kinds import (
    KINDS,
    Kind,
    Reference,
    Stores,
    World,
    build_references,
    closed_figures,
    opened,
)
from tests.reliability.profile import sized

SEED = int(os.environ.get("SLA_LEDGER_CRASH_SEED") or random.SystemRandom().randrange(10**6))
KILLS_PER_ROUND = 3  # the second and third land on re-sends of the work the first killed
REACH = 1.1  # kill delays run up to this share of the uninterrupted work's time
KILLS = {  # per backend: at least 50 in all under the heavy profile
    "ingest": sized(3, 15),
    "ingest-csv": sized(3, 12),
    "close": sized(3, 15),
    "import": sized(3, 15),
}


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
        build_references(world, keep)
        yield world


# -- rounds of kills -----------------------------------------------------------------------------


@dataclass
class Crashes:
    """One backend and kind of work, killed again and again."""

    world: World
    kind: Kind
    rng: random.Random
    tally: Tally = field(default_factory=Tally)
    work: float = 0.0  # seconds the whole work takes in a worker, as last measured

    @property
    def reference(self) -> Reference:
        return self.world.references[self.kind.name]

    def why(self, run: Run | None = None) -> str:
        where = f"{self.world.stores.backend} {self.kind.name}, seed {SEED}"
        return f"{where}, kill {self.tally.kills}" + (f" ({run})" if run else "")

    def round(self, kills: int = KILLS_PER_ROUND) -> None:
        """A fresh store: kill the work, check, send it again and kill that, check, ...;
        send it again to the end, check it holds what one run records; send it once more.
        (A run that ended before its kill did the whole work: the next runs re-send it.)"""
        self.tally.rounds += 1
        with self.kind.prepare(self.world) as url:
            args = self.kind.args(self.world, url)
            for kill in range(kills):
                delay = self.rng.uniform(0, REACH * (self.work or self.reference.seconds))
                run = run_worker(*args, kill_after=delay)
                if kill == 0 and run.finished:  # it did the whole work: aim by its time
                    self.work = run.work_seconds
                self.tally.count(run)
                assert run.killed or self.kind.ended_well(run), self.why(run)
                with opened(url, self.why(run)) as ledger:
                    self.kind.check(ledger, run, self.reference, self.why(run))
            self.finish(url, args)

    def finish(self, url: str, args: tuple[str, ...]) -> None:
        last = run_worker(*args)
        self.tally.resends += self.tally.interrupted
        self.tally.interrupted = False
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
    # Until enough kills have landed, one of them at least mid-work: a kill can land
    # after a short re-send that found everything done.
    while crashes.tally.kills < KILLS[kind] or not crashes.tally.mid_work:
        assert crashes.tally.rounds < 3 * KILLS[kind], f"{crashes.why()}: kills keep missing"
        crashes.round(min(KILLS_PER_ROUND, max(1, KILLS[kind] - crashes.tally.kills)))
    crashes.tally.seconds = time.monotonic() - began
