"""``sla-ledger ingest prometheus|csv`` and ``terms apply``: output for people and machines,
refusals as one line and an exit code, and the README's three commands."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, url_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prometheus"
FIXTURES = ROOT / "tests" / "fixtures"
PROMETHEUS = FIXTURES / "prometheus"


@pytest.fixture
def cli(tmp_path) -> Cli:
    """A fresh store with the fixtures' terms applied."""
    run = Cli(url_of(tmp_path / "ledger.db"))
    assert run("terms", "apply", str(PROMETHEUS / "terms.toml")).exit_code == 0
    return run


def ingest_edge_cases(cli: Cli, *options: str):
    edge = str(PROMETHEUS / "edge_cases.json")
    return cli("ingest", "prometheus", edge, "--config", str(PROMETHEUS / "mapping.toml"), *options)


def assert_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


# -- the README's three commands -----------------------------------------------------------


@pytest.mark.slow
def test_three_commands_take_a_fresh_store_from_prometheus_data_to_october_figures(tmp_path):
    run = Cli(url_of(tmp_path / "fresh.db"))
    applied = run("terms", "apply", str(EXAMPLE / "terms.toml"))
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines() == [
        "service shop (service[0]): registered",
        "service api (service[1]): registered",
        "contract acme (contract[0]): signed",
    ]
    ingested = run(
        "ingest",
        "prometheus",
        str(EXAMPLE / "probe_success.json"),
        "--config",
        str(EXAMPLE / "mapping.toml"),
    )
    assert ingested.exit_code == 0, ingested.output
    assert "267,840 samples read, 267,840 probes recorded, 0 recorded before, 0 rejected" in (
        ingested.stdout
    )
    report = tmp_path / "acme-2026-10.html"
    rendered = run("report", "--contract", "acme", "--month", "2026-10", "-o", str(report))
    assert rendered.exit_code == 0, rendered.output
    page = report.read_text()
    assert "PROVISIONAL" in page  # nobody closed October: computed now, and says so
    assert "99.8857 %" in page and "200.00 EUR" in page  # storefront: 51 min of 744 h down
    shown = json.loads(run("report", "--contract", "acme", "--month", "2026-10", "--json").stdout)
    figures = {
        line["statement"]["line_id"]: (
            line["statement"]["availability"],
            line["statement"]["met"],
            line["statement"]["credit"],
        )
        for line in shown["lines"]
    }
    assert figures == {
        "storefront": ("14863/14880", False, "200.00"),
        "api": ("1", True, "0.00"),  # sin alone failed: no quorum
    }


def test_the_example_response_is_what_its_generator_writes():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert (EXAMPLE / "probe_success.json").read_text() == generate.response()


# -- ingest prometheus ------------------------------------------------------------------


def test_ingest_prometheus_prints_counts_and_the_rejected_samples(cli):
    result = ingest_edge_cases(cli)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "19 samples read, 7 probes recorded, 0 recorded before, 12 rejected (1 batch)"
    )
    assert "Rejected: 12" in result.stdout
    assert 'value "NaN" is no probe result' in result.stdout
    assert "location 'tokyo' is not registered for 'shop'" in result.stdout
    assert "(3 samples)" in result.stdout
    assert "no [[target]] of the mapping" in result.stdout

    again = json.loads(ingest_edge_cases(cli, "--json").stdout)
    assert {k: again[k] for k in ("read", "recorded", "duplicates", "rejected", "refused")} == {
        "read": 19,
        "recorded": 0,
        "duplicates": 7,
        "rejected": 12,
        "refused": False,
    }
    nan = again["rejections"][1]
    assert nan == {
        "line": None,
        "series": 'result[1] {__name__="probe_success", '
        'instance="https://shop.example.com/healthz", job="blackbox", location="fra", '
        'module="http_2xx"}',
        "sample": 1,
        "samples": 1,
        "value": "NaN",
        "reason": 'value "NaN" is no probe result: expected "1" (up) or "0" (down)',
    }


def test_ingest_prometheus_strict_refuses_the_file_and_lists_why(cli):
    result = ingest_edge_cases(cli, "--strict")
    assert_error(result, 2, "12 of 19 probe results rejected", "--strict: nothing was recorded")
    assert "Rejected: 12 (nothing was recorded)" in result.stdout
    as_json = json.loads(ingest_edge_cases(cli, "--strict", "--json").stdout)
    assert (as_json["refused"], as_json["recorded"], as_json["rejected"]) == (True, 0, 12)
    assert json.loads(ingest_edge_cases(cli, "--json").stdout)["recorded"] == 7, "none before"


def test_ingest_prometheus_refuses_a_mapping_naming_an_unknown_service(cli, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[[target]]\nmatch = { instance = "x" }\nservice = "shopp"\n')
    result = cli(
        "ingest", "prometheus", str(PROMETHEUS / "edge_cases.json"), "--config", str(mapping)
    )
    assert_error(result, 2, "target[0].service: unknown service 'shopp'; registered: shop")
    assert result.stdout == ""


def test_ingest_prometheus_refuses_a_malformed_mapping_or_response(cli, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        'location_label = 5\n[[target]]\nmatch = { instance = "x" }\nservice = "shop"\n'
    )
    edge = str(PROMETHEUS / "edge_cases.json")
    result = cli("ingest", "prometheus", edge, "--config", str(mapping))
    assert_error(result, 2, "location_label: Input should be a valid string (got 5)")
    response = tmp_path / "vector.json"
    response.write_text('{"status":"success","data":{"resultType":"vector","result":[]}}')
    config = str(PROMETHEUS / "mapping.toml")
    result = cli("ingest", "prometheus", str(response), "--config", config)
    assert_error(result, 2, "resultType is 'vector': expected 'matrix'")


def test_ingest_prometheus_needs_its_config_and_an_existing_store(cli, tmp_path):
    edge = str(PROMETHEUS / "edge_cases.json")
    assert_error(cli("ingest", "prometheus", edge), 2, "Missing option '--config'")
    missing = Cli(url_of(tmp_path / "none.db"))
    result = missing("ingest", "prometheus", edge, "--config", str(PROMETHEUS / "mapping.toml"))
    assert_error(result, 2, "does not exist")


# -- ingest csv ------------------------------------------------------------------------------


def test_ingest_csv_reports_rejected_rows_by_line(cli):
    result = cli("ingest", "csv", str(FIXTURES / "csv" / "probes.csv"))
    assert result.exit_code == 0, result.output
    assert "13 rows read, 5 probes recorded, 0 recorded before, 8 rejected" in result.stdout
    assert re.search(r"line 7 +unknown target 'shopp'", result.stdout)
    as_json = json.loads(
        cli("ingest", "csv", str(FIXTURES / "csv" / "probes.csv"), "--json").stdout
    )
    assert [r["line"] for r in as_json["rejections"]] == [6, 7, 8, 9, 11, 12, 13, 14]
    assert as_json["duplicates"] == 5


def test_ingest_csv_takes_its_column_mapping_from_options(cli):
    result = cli(
        "ingest", "csv", str(FIXTURES / "csv" / "checks.tsv"), "--json",
        "--delimiter", "tab", "--timestamp-column", "time", "--timestamp-format", "unix",
        "--target-column", "check", "--location-column", "region", "--ok-column", "status",
        "--ok-values", "pass", "--not-ok-values", "fail,error", "--latency-column", "duration",
        "--latency-unit", "s",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (json.loads(result.stdout)["recorded"], json.loads(result.stdout)["rejected"]) == (3, 0)


def test_ingest_csv_refuses_bad_options_naming_them(cli):
    probes = str(FIXTURES / "csv" / "probes.csv")
    assert_error(
        cli("ingest", "csv", probes, "--delimiter", ";;"),
        2,
        "CsvOptions.delimiter: String should have at most 1 character (got ';;')",
    )
    assert_error(
        cli("ingest", "csv", probes, "--ok-column", "status"),
        2,
        "no column 'status' (the ok_column option)",
    )
    assert_error(cli("ingest", "csv", probes, "--latency-unit", "ns"), 2, "'ns' is not one of")
    assert_error(cli("ingest", "csv", probes, "--strict"), 2, "line 6: timestamp")


# -- terms apply -------------------------------------------------------------------------


def test_terms_apply_twice_records_nothing_new_and_amends_a_changed_contract(cli, tmp_path):
    again = cli("terms", "apply", str(PROMETHEUS / "terms.toml"))
    assert again.stdout.splitlines() == [
        "service shop (service[0]): unchanged",
        "contract initech (contract[0]): unchanged",
        f"nothing new: {PROMETHEUS / 'terms.toml'} is recorded already",
    ]
    changed = tmp_path / "terms.toml"
    changed.write_text((PROMETHEUS / "terms.toml").read_text().replace('"500.00"', '"550.00"'))
    result = cli("terms", "apply", str(changed), "--json")
    shown = json.loads(result.stdout)
    assert [(c["table"], c["action"]) for c in shown] == [
        ("service[0]", "unchanged"),
        ("contract[0]", "amended"),
    ]
    assert re.fullmatch(r"\d{4}-\d{2}", shown[1]["effective_month"])
    human = cli("terms", "apply", str(changed.with_name("terms.toml")))
    assert "contract initech (contract[0]): unchanged" in human.stdout


def test_terms_apply_prints_when_an_amendment_takes_effect(cli, tmp_path):
    changed = tmp_path / "terms.toml"
    changed.write_text((PROMETHEUS / "terms.toml").read_text().replace('"500.00"', '"450.00"'))
    result = cli("terms", "apply", str(changed))
    assert re.search(
        r"contract initech \(contract\[0\]\): amended: the new terms apply from \d{4}-\d{2}\n",
        result.stdout,
    )


def test_terms_apply_refuses_a_bad_file_naming_table_key_and_value(cli, tmp_path):
    bad = tmp_path / "terms.toml"
    bad.write_text(
        (PROMETHEUS / "terms.toml").read_text().replace('currency = "EUR"', 'currency = "EUX"')
    )
    result = cli("terms", "apply", str(bad))
    assert_error(result, 2, "contract[0].lines[0]", "EUX")
    fresh = Cli(url_of(tmp_path / "new.db"))
    assert_error(fresh("terms", "apply", str(bad)), 2, "EUX")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    "command",
    [("ingest",), ("ingest", "prometheus"), ("ingest", "csv"), ("terms",), ("terms", "apply")],
)
def test_every_importer_command_has_help_with_an_example(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
