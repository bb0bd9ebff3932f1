"""Importers stream: the memory an import needs does not grow with the file.

Two files of different sizes are read and imported under tracemalloc. Reading
must peak below a fixed bound, the same for both; importing keeps what the
ledger itself holds (about 17 bytes a recorded probe, docs/architecture.md)
and, on top of it, a working set below a fixed bound, the same for both.

By default the files are small (a few seconds under tracemalloc); with
HYPOTHESIS_PROFILE=heavy the larger file has a million samples.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sla_ledger import ManualClock, open_ledger
from sla_ledger.importers import (
    CsvOptions,
    PrometheusMapping,
    import_prometheus,
    read_csv,
    read_query_range,
)
from tests.fixtures.prometheus import blackbox_day
from tests.integration.test_importers import MAPPING, shop

HEAVY = os.environ.get("HYPOTHESIS_PROFILE") == "heavy"
# samples per series (6 series), and rows a batch
SIZES = (40_000, 166_667) if HEAVY else (500, 2_500)
BATCH = 10_000 if HEAVY else 1_000
READ_BOUND = 2 << 20  # bytes
WORKING_BOUND = (16 if HEAVY else 4) << 20
GROWTH = 512 << 10  # what may differ between the two sizes: allocator noise


def traced(work: Callable[[], object]) -> tuple[int, int]:
    """``(peak, retained)`` bytes allocated by ``work`` under tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, retained


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    directory = tmp_path_factory.mktemp("memory")
    paths = []
    for samples in SIZES:
        path = directory / f"probe_success_{samples}.json"
        blackbox_day.write(path, samples)
        paths.append(path)
    return paths


def test_reading_a_prometheus_response_peaks_the_same_whatever_its_size(files):
    mapping = PrometheusMapping.load(MAPPING)
    peaks = [
        traced(lambda p=path: sum(1 for _ in read_query_range(p, mapping)))[0] for path in files
    ]
    assert files[1].stat().st_size > 4 * files[0].stat().st_size
    assert max(peaks) < READ_BOUND, peaks
    assert peaks[1] - peaks[0] < GROWTH, peaks


def test_importing_a_prometheus_response_needs_the_same_working_set_whatever_its_size(
    files, tmp_path
):
    working = []
    for index, path in enumerate(files):
        ledger = open_ledger(
            f"sqlite:///{tmp_path / f'{index}.db'}",
            clock=ManualClock(datetime(2027, 1, 1, tzinfo=UTC)),
        )
        ledger.register_service(shop())
        peak, retained = traced(
            lambda ledger=ledger, path=path: import_prometheus(
                ledger, path, MAPPING, batch_size=BATCH
            )
        )
        assert ledger.position == 1 + -(-6 * SIZES[index] // BATCH)  # one event a batch
        working.append(peak - retained)
        ledger.close()
    assert max(working) < WORKING_BOUND, working
    assert working[1] - working[0] < GROWTH, working


def test_reading_a_csv_file_peaks_the_same_whatever_its_size(tmp_path):
    peaks = []
    start = datetime(2026, 10, 5, tzinfo=UTC)
    for rows in (6 * size for size in SIZES):
        path = tmp_path / f"{rows}.csv"
        with path.open("w") as out:
            out.write("timestamp,target,location,ok,latency\n")
            for index in range(rows):
                at = (start + timedelta(seconds=15 * index)).isoformat()
                out.write(f"{at},shop,{('ams', 'fra', 'sin')[index % 3]},1,{index % 97}.5\n")
        peaks.append(traced(lambda path=path: sum(1 for _ in read_csv(path, CsvOptions())))[0])
    assert max(peaks) < READ_BOUND, peaks
    assert peaks[1] - peaks[0] < GROWTH, peaks
