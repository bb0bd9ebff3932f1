"""`export --format csv|parquet [--customer]` and `handover`."""

from __future__ import annotations

import csv
import json

import pytest

from sla_ledger.adapters import parquet_export
from tests.cli.conftest import Cli, url_of


@pytest.fixture
def closed(april: Cli) -> Cli:
    result = april("close", "--now", "2026-05-02T01:00:00Z")
    assert result.exit_code == 0, result.output
    return april


def test_export_as_csv_writes_statements_and_credits_into_a_directory(closed, tmp_path):
    target = tmp_path / "figures"
    result = closed("export", "--format", "csv", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"exported 1 statement versions to {target / 'statements.csv'}, 1 credits to "
        f"{target / 'credits.csv'} and 0 response rows to {target / 'responses.csv'}\n"
    )
    with (target / "statements.csv").open(newline="") as stream:
        (row,) = csv.DictReader(stream)
    assert (row["contract_id"], row["availability"], row["availability_percent"]) == (
        "c1",
        "959/960",
        "99.8958",
    )
    assert (row["down"], row["credit"], row["currency"]) == ("2700", "100.00", "EUR")
    with (target / "credits.csv").open(newline="") as stream:
        (credit,) = csv.DictReader(stream)
    assert (credit["kind"], credit["amount"]) == ("CreditIssued", "100.00")


def test_export_as_parquet_writes_events_and_probes(closed, tmp_path):
    pytest.importorskip(
        "pyarrow", reason="pyarrow is not installed: pip install 'sla-ledger[parquet]'"
    )
    target = tmp_path / "warehouse"
    result = closed("export", "--format", "parquet", str(target), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["probes"] == 31 * 24 * 60
    assert sorted(p.name for p in target.iterdir()) == ["events.parquet", "probes.parquet"]


def test_export_as_parquet_without_pyarrow_says_how_to_install_it(closed, tmp_path, monkeypatch):
    def missing():
        raise parquet_export.ParquetUnavailable(parquet_export.INSTALL_HINT)

    monkeypatch.setattr(parquet_export, "_pyarrow", missing)
    result = closed("export", "--format", "parquet", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: Parquet export needs pyarrow: pip install 'sla-ledger[parquet]'\n"
    )


def test_export_for_a_customer_reimports_into_an_empty_store(closed, tmp_path):
    share = tmp_path / "initech.jsonl"
    result = closed("export", "--customer", "Initech", str(share))
    assert result.exit_code == 0, result.output
    events = len(share.read_text().splitlines())
    assert result.stdout == f"exported {events} events of customer 'Initech' to {share}\n"
    copy = Cli(url_of(tmp_path / "copy.db"))
    assert copy("import", str(share)).exit_code == 0
    statement = ["statement", "--contract", "c1", "--month", "2026-04", "--json"]
    assert copy(*statement).stdout == closed(*statement).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "Nobody"], "error: no contract names customer 'Nobody'; customers: "),
        (["--format", "xml"], "error: Invalid value for '--format'"),
    ],
)
def test_export_refuses_bad_input_with_one_line(closed, tmp_path, args, message):
    result = closed("export", *args, str(tmp_path / "out.jsonl"))
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out.jsonl").exists()


def test_export_refuses_a_file_where_a_directory_is_needed_and_back(closed, tmp_path):
    file = tmp_path / "file.csv"
    file.write_text("x")
    result = closed("export", "--format", "csv", str(file))
    assert result.exit_code == 2 and "is a file" in result.stderr
    result = closed("export", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_handover_writes_a_bundle_that_reimports(closed, tmp_path):
    bundle = tmp_path / "initech"
    result = closed("handover", "--contract", "c1", str(bundle), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["customer"], report["statements"], report["credits"]) == ("Initech", 1, 1)
    readme = (bundle / "README.md").read_text()
    assert "Contract c1 has no termination notice" in readme
    copy = Cli(url_of(tmp_path / "check.db"))
    assert copy("import", str(bundle / "export.jsonl")).exit_code == 0
    assert copy("credits", "--json").stdout == closed("credits", "--json").stdout


def test_handover_refuses_a_directory_that_is_not_empty(closed, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = closed("handover", "--contract", "c1", str(tmp_path))
    assert result.exit_code == 2
    assert "is not empty" in result.stderr
    result = closed("handover", "--contract", "zz", str(tmp_path / "new"))
    assert result.exit_code == 2
    assert result.stderr == "error: unknown contract 'zz'; see 'sla-ledger contracts'\n"
