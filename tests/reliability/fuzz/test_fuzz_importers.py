"""Fuzzing the monitoring importers: CSV files and their options, Prometheus
``query_range`` responses and their TOML mapping files, all mutated.

An import records the good rows and reports the others (``read = recorded +
duplicates + rejected``), every row it read as good is then in the ledger, or
it is refused with an ``SlaLedgerError`` and nothing written (these files are
smaller than one batch, so nothing is recorded before a fault).
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger.importers import CsvOptions, PrometheusMapping, import_csv, import_prometheus
from sla_ledger.importers.csv_probes import read_csv
from sla_ledger.importers.report import Row
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import attempt, check_message, either, hostile
from tests.reliability.fuzz.world import NOW, Template
from tests.reliability.profile import sized

SERIES = [
    ("web", "fra"),
    ("web", "ams"),
    ("api", "fra"),
    ("api/db/i0", "fra"),
    ("nope", "fra"),
    ("web", "sin"),
]
CELLS = (
    "",
    " ",
    "1",
    "0",
    "up",
    "DOWN",
    "maybe",
    "NaN",
    "-5",
    "1e999",
    "2026-05-20T11:00:00",
    "2026-05-20T11:00:00Z",
    "1779274800",
    "0001-01-01T00:00:00+14:00",
    '"',
    "\x00",
    "é",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2026-05-20T11:00:00.1234567Z",
)


def csv_text(rnd: Random, rows: int) -> str:
    lines = ["timestamp,target,location,ok,latency"]
    for _ in range(rows):
        target, location = rnd.choice(SERIES)
        at = NOW.timestamp() - rnd.randrange(0, 40 * 86_400)
        stamp = NOW.fromtimestamp(at, NOW.tzinfo).isoformat().replace("+00:00", "Z")
        cells = [
            stamp,
            target,
            location,
            rnd.choice(["1", "0", "up", "down"]),
            rnd.choice(["", "12.5", "0"]),
        ]
        if rnd.random() < 0.2:
            cells[rnd.randrange(5)] = rnd.choice(CELLS)
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def mutate_bytes(data: bytes, rnd: Random) -> bytes:
    """``data`` with a few bytes flipped, cut short, a line repeated or dropped."""
    for _ in range(rnd.randint(0, 3)):
        how = rnd.choice(["flip", "cut", "repeat", "drop", "insert"])
        if how == "flip" and data:
            at = rnd.randrange(len(data))
            data = data[:at] + bytes([data[at] ^ (1 << rnd.randrange(8))]) + data[at + 1 :]
        elif how == "cut":
            data = data[: rnd.randint(0, len(data))]
        elif how in ("repeat", "drop"):
            lines = data.splitlines(keepends=True)
            if lines:
                index = rnd.randrange(len(lines))
                lines.insert(index, lines[index]) if how == "repeat" else lines.pop(index)
            data = b"".join(lines)
        else:
            at = rnd.randint(0, len(data))
            data = data[:at] + rnd.choice([b",", b'"', b"\r", b"\n", b"\x00", b"\xff"]) + data[at:]
    return data


OPTIONS = {
    "timestamp_column": st.sampled_from(["timestamp", "time", ""]),
    "latency_column": st.sampled_from([None, "latency", "ms"]),
    "timestamp_format": st.sampled_from(["rfc3339", "unix", "iso"]),
    "ok_values": st.sampled_from([("1", "up"), (), ("0",)]),
    "delimiter": st.sampled_from([",", ";", "\t", '"', ",,", ""]),
    "latency_unit": st.sampled_from(["s", "ms", "us", "h"]),
}


@st.composite
def csv_options(draw) -> dict:
    chosen = draw(st.sets(st.sampled_from(sorted(OPTIONS)), max_size=2))
    return {name: draw(either(OPTIONS[name])) for name in chosen}


@settings(max_examples=sized(30, 1500))
@given(rnd=st.randoms(use_true_random=False), fields=csv_options(), strict=st.booleans())
def test_a_mutated_csv_file_is_imported_row_by_row_or_refused(
    world: Template, rnd, fields, strict, tmp_path_factory
) -> None:
    counter.count()
    try:
        options = CsvOptions(**fields)
    except Exception as error:  # must be ours: InvalidConfig naming the option
        from sla_ledger import InvalidConfig

        assert isinstance(error, InvalidConfig), repr(error)
        check_message(error)
        return
    path = tmp_path_factory.mktemp("csv") / "probes.csv"
    path.write_bytes(mutate_bytes(csv_text(rnd, rnd.randint(0, 30)).encode(), rnd))
    with world.copy() as (ledger, _):
        outcome = attempt(ledger, import_csv, ledger, path, options, strict=strict)
        if outcome.accepted:
            _check_recorded(ledger, outcome.value, list(read_csv(path, options)))


def _check_recorded(ledger, report, items) -> None:
    assert report.read == report.recorded + report.duplicates + report.rejected
    evidence = ledger.catch_up().evidence
    missing = [
        row
        for row in items
        if isinstance(row, Row)
        and not evidence.contains(row.target, row.location, row.at_us, row.ok)
    ]
    assert len(missing) <= report.rejected, missing[:3]


def query_range(rnd: Random) -> dict:
    result = []
    for instance, location in rnd.sample(
        [("https://web", "fra"), ("https://web", "ams"), ("db-0", "fra"), ("other", "fra")], 3
    ):
        values = [
            [
                rnd.choice([int(NOW.timestamp()) - 60 * k, NOW.timestamp() - 60 * k + 0.5]),
                rnd.choice(["1", "0", "1", "NaN", "0.5", 1]),
            ]
            for k in range(rnd.randint(0, 10))
        ]
        metric = {"__name__": "probe_success", "instance": instance, "location": location}
        result.append({"metric": metric, "values": values})
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


MAPPING = """location_label = "location"
metrics = ["probe_success"]

[[target]]
match = { instance = "https://web" }
service = "web"

[[target]]
match = { instance = "db-0" }
service = "api"
component = "db"
instance = "i0"
"""


@settings(max_examples=sized(30, 1500))
@given(rnd=st.randoms(use_true_random=False), strict=st.booleans())
def test_a_mutated_prometheus_response_and_mapping_are_imported_or_refused(
    world: Template, rnd, strict, tmp_path_factory
) -> None:
    counter.count()
    directory = tmp_path_factory.mktemp("prometheus")
    body, mapping = directory / "range.json", directory / "mapping.toml"
    body.write_bytes(mutate_bytes(json.dumps(query_range(rnd)).encode(), rnd))
    mapping.write_bytes(
        mutate_bytes(MAPPING.encode(), rnd) if rnd.random() < 0.3 else MAPPING.encode()
    )
    with world.copy() as (ledger, _):
        outcome = attempt(ledger, import_prometheus, ledger, body, mapping, strict=strict)
        if outcome.accepted:
            assert outcome.value.read == (
                outcome.value.recorded + outcome.value.duplicates + outcome.value.rejected
            )


@settings(max_examples=sized(20, 500))
@given(
    document=st.dictionaries(
        st.sampled_from(["location_label", "metrics", "locations", "target"]),
        either(st.just([{"match": {"instance": "x"}, "service": "web"}])),
        max_size=4,
    ),
    extra=st.one_of(st.none(), hostile()),
)
def test_a_mapping_of_any_shape_is_read_or_refused_naming_the_key(document, extra) -> None:
    counter.count()
    if extra is not None:
        document = {**document, "target": extra}
    try:
        PrometheusMapping.model_validate(document)
    except Exception as error:
        from pydantic import ValidationError

        assert isinstance(error, ValidationError), repr(error)  # load() turns it into InvalidConfig


def test_the_unmutated_files_import_cleanly(world: Template, tmp_path: Path) -> None:
    body, mapping = tmp_path / "range.json", tmp_path / "mapping.toml"
    body.write_text(json.dumps(query_range(Random(1))))
    mapping.write_text(MAPPING)
    with world.copy() as (ledger, _):
        report = import_prometheus(ledger, body, mapping)
        assert report.recorded > 0
