"""Reading probe results from CSV: columns, instants, outcomes, latencies, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sla_ledger import ImportFailed, InvalidConfig
from sla_ledger.importers import CsvOptions, Rejected, Row, read_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
T0 = 1_791_158_400_000_000  # 2026-10-05T00:00:00Z


def read(tmp_path: Path, text: str, **options) -> list:
    path = tmp_path / "probes.csv"
    path.write_bytes(text.encode())
    return list(read_csv(path, CsvOptions(**options)))


def test_the_fixture_gives_rows_and_rejections_with_their_line_numbers():
    items = list(read_csv(FIXTURES / "probes.csv", CsvOptions()))
    rows = [
        (i.line, i.target, i.location, i.at_us - T0, i.ok, i.latency_us)
        for i in items
        if isinstance(i, Row)
    ]
    assert rows == [
        (2, "shop", "fra", 0, True, 43_200),
        (3, "shop", "ams", 0, True, 51_000),
        (4, "shop", "sin", 15_250_000, False, None),
        (5, "shop/db/db-1", "fra", 15_000_000, True, 1_500),  # +02:00 -> UTC
        # lines 7 and 8 name an unknown target and location: the ledger rejects them
        (7, "shopp", "fra", 30_000_000, True, 40_000),
        (8, "shop", "tokyo", 30_000_000, True, 40_000),
        (10, "shop", "ams", 45_000_000, False, 12_500),
        (14, "shop", "fra", 4_070_908_800_000_000 - T0, True, 1_000),  # in the future: idem
    ]
    rejected = [(i.line, i.value, i.reason) for i in items if isinstance(i, Rejected)]
    assert [line for line, _, _ in rejected] == [6, 9, 11, 12, 13]
    assert rejected[0][1:] == (
        "2026-10-05T00:00:30",
        "timestamp '2026-10-05T00:00:30' has no UTC offset: add one, e.g. 2026-10-05T00:00:30Z",
    )
    assert rejected[1][1] == "maybe"
    assert rejected[1][2].startswith("ok 'maybe' is not one of 1, true, up, ok, yes, success, 0,")
    assert rejected[2][1:] == (
        "-3",
        "latency '-3' is not a non-negative number of ms (latency_unit)",
    )
    assert rejected[3][2].startswith(
        "timestamp '2026-10-05T00:00:45.1234567Z' is not a whole number of microseconds"
    )
    assert rejected[4][1:] == (None, "has 4 fields; the header has 5")
    assert Rejected("x", line=13).where == "line 13"


def test_columns_formats_outcomes_delimiter_and_unit_are_options():
    options = CsvOptions(
        timestamp_column="time",
        target_column="check",
        location_column="region",
        ok_column="status",
        latency_column="duration",
        timestamp_format="unix",
        ok_values=("PASS",),
        not_ok_values=("fail",),
        delimiter="\t",
        latency_unit="s",
    )
    rows = list(read_csv(FIXTURES / "checks.tsv", options))
    assert [(r.location, r.at_us - T0, r.ok, r.latency_us) for r in rows] == [
        ("fra", 0, True, 43_000),
        ("ams", 500_000, False, 500_000),
        ("sin", 15_000_001, True, 12_345),  # latency truncated to whole microseconds
    ]


def test_a_row_spanning_lines_is_numbered_by_its_first_line(tmp_path):
    text = (
        "timestamp,target,location,ok,note\n"
        '2026-10-05T00:00:00Z,shop,fra,1,"two\nlines"\n'
        "\n"
        "2026-10-05T00:00:15Z,shop,fra,nope,x\n"
    )
    items = read(tmp_path, text)
    assert [(type(i).__name__, i.line) for i in items] == [("Row", 2), ("Rejected", 5)]


def test_crlf_line_endings_and_a_byte_order_mark_are_read(tmp_path):
    text = "\ufefftimestamp,target,location,ok\r\n2026-10-05T00:00:00Z,shop,fra,1\r\n"
    (row,) = read(tmp_path, text)
    assert (row.line, row.at_us, row.latency_us) == (2, T0, None)


def test_rfc3339_accepts_lower_case_and_a_space_and_keeps_microseconds(tmp_path):
    text = (
        "timestamp,target,location,ok\n"
        "2026-10-05t00:00:00.000001z,shop,fra,1\n"
        "2026-10-05 00:00:00.5000000+00:00,shop,fra,1\n"
    )
    assert [r.at_us - T0 for r in read(tmp_path, text)] == [1, 500_000]


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [("yesterday", "is not RFC 3339"), ("", "is not RFC 3339")],
)
def test_a_bad_rfc3339_instant_is_rejected(tmp_path, cell, fragment):
    (rejected,) = read(tmp_path, f"timestamp,target,location,ok\n{cell},shop,fra,1\n")
    assert fragment in rejected.reason


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("1791158400.0000001", "not a whole number of microseconds"),
        ("soon", "is not a number of Unix seconds"),
        ("-1", "between 1970 and 9999"),
    ],
)
def test_a_bad_unix_instant_is_rejected(tmp_path, cell, fragment):
    text = f"timestamp,target,location,ok\n{cell},shop,fra,1\n"
    (rejected,) = read(tmp_path, text, timestamp_format="unix")
    assert fragment in rejected.reason


def test_without_a_latency_column_there_are_no_latencies(tmp_path):
    (row,) = read(tmp_path, "timestamp,target,location,ok\n2026-10-05T00:00:00Z,shop,fra,1\n")
    assert row.latency_us is None


def test_a_named_column_that_the_header_lacks_is_an_error_listing_the_header(tmp_path):
    text = "timestamp,target,location,ok\n2026-10-05T00:00:00Z,shop,fra,1\n"
    with pytest.raises(InvalidConfig, match=r"no column 'lat' \(the latency_column option\)"):
        read(tmp_path, text, latency_column="lat")
    with pytest.raises(InvalidConfig, match="the header names 'timestamp', 'target'"):
        read(tmp_path, text, ok_column="status")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delimiter": ";;"}, "CsvOptions.delimiter: String should have at most 1 character"),
        ({"delimiter": '"'}, "delimiter '\"' cannot separate CSV fields"),
        ({"timestamp_format": "iso"}, "Input should be 'rfc3339' or 'unix' (got 'iso')"),
        ({"latency_unit": "ns"}, "CsvOptions.latency_unit"),
        ({"ok_values": ("1", "y"), "not_ok_values": ("Y",)}, "['y'] are both ok_values"),
    ],
)
def test_bad_options_are_an_error_naming_the_option_and_value(options, message):
    with pytest.raises(InvalidConfig) as error:
        CsvOptions(**options)
    assert message in str(error.value)


def test_an_empty_file_or_one_that_is_not_utf8_is_refused(tmp_path):
    with pytest.raises(ImportFailed, match="is empty: expected a header line"):
        read(tmp_path, "")
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"timestamp,target,location,ok\n2026-10-05T00:00:00Z,caf\xe9,fra,1\n")
    with pytest.raises(ImportFailed, match="line 2 is not UTF-8"):
        list(read_csv(path, CsvOptions()))
