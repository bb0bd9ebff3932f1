"""The commands on a small store: figures, JSON, and errors as one line with an exit code."""

from __future__ import annotations

import json

import pytest

from sla_ledger.cli import main
from tests.cli.conftest import PLAIN, Cli, url_of


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


def test_statement_before_close_is_provisional(april):
    result = april("statement", "--contract", "c1", "--month", "2026-04")
    assert result.exit_code == 0, result.output
    assert "provisional: not issued yet" in result.stdout
    assert "99.8958 %" in result.stdout
    assert "959/960" in result.stdout
    assert "45m" in result.stdout

    shown = json.loads(
        april("statement", "--contract", "c1", "--month", "2026-04", "--json").stdout
    )
    assert [s["status"] for s in shown] == ["provisional"]
    assert shown[0]["statement"]["availability"] == "959/960"
    assert shown[0]["statement"]["credit"] == "100.00"


def test_close_issues_the_statement_and_the_credit_once(april):
    result = april("close", "--now", "2026-05-02T01:00:00Z")
    assert result.exit_code == 0, result.output
    assert "c1" in result.stdout and "100.00 EUR" in result.stdout

    again = april("close", "--now", "2026-05-02T02:00:00+01:00")  # same instant, other offset
    assert again.stdout == "nothing due: no statement to issue or restate\n"

    shown = json.loads(
        april("statement", "--contract", "c1", "--month", "2026-04", "--json").stdout
    )
    assert shown[0]["status"] == "issued"
    assert shown[0]["statement"]["availability_percent"] == "99.8958"

    credits = json.loads(april("credits", "--json").stdout)
    assert [(c["contract_id"], c["line_id"], c["amount"], c["currency"]) for c in credits] == [
        ("c1", "core", "100.00", "EUR")
    ]
    position = credits[0]["position"]
    assert json.loads(april("credits", "--after", str(position), "--json").stdout) == []
    assert str(position) in april("credits").stdout


def test_close_json_lists_what_was_issued(april):
    issued = json.loads(april("close", "--now", "2026-05-02T01:00:00Z", "--json").stdout)
    assert [(s["contract_id"], s["line_id"], s["month"], s["version"]) for s in issued] == [
        ("c1", "core", "2026-04", 1)
    ]
    assert issued[0]["down"] == "2700"  # seconds, as a decimal string


def test_statement_as_known_at_shows_what_was_known_then(april):
    april("close", "--now", "2026-05-02T01:00:00Z")
    # Before the close nothing was issued; probes of 1-10 April were known by 11 April.
    result = april(
        "statement",
        "--contract",
        "c1",
        "--month",
        "2026-04",
        "--as-known-at",
        "2026-04-11T00:00:00Z",
    )
    assert "provisional" in result.stdout
    assert "The month was not over" in result.stdout


def test_services_and_contracts_are_listed(april):
    assert "web" in april("services").stdout
    assert "Initech" in april("contracts").stdout
    assert json.loads(april("services", "--json").stdout)[0]["probe_interval"] == "60"
    assert (
        json.loads(april("contracts", "--json").stdout)[0]["lines"][0]["monthly_fee"] == "1000.00"
    )


def test_a_naive_instant_is_refused(april):
    result = april("close", "--now", "2026-05-02T01:00:00")
    assert_one_line_error(result, 2, "--now", "no UTC offset", "2026-05-02T01:00:00Z")


def test_a_malformed_instant_is_refused(april):
    result = april("statement", "--contract", "c1", "--month", "2026-04", "--as-known-at", "soon")
    assert_one_line_error(result, 2, "--as-known-at", "RFC 3339")


def test_an_unknown_contract_is_refused(april):
    assert_one_line_error(
        april("statement", "--contract", "nope", "--month", "2026-04"), 2, "unknown contract 'nope'"
    )
    assert_one_line_error(
        april("statement", "--contract", "nope", "--line", "core", "--month", "2026-04"),
        2,
        "unknown contract 'nope'",
    )


def test_an_unknown_line_is_refused(april):
    result = april("statement", "--contract", "c1", "--line", "gold", "--month", "2026-04")
    assert_one_line_error(result, 2, "no line 'gold'", "'core'")


@pytest.mark.parametrize("month", ["2026-13", "April", "2026-4"])
def test_a_bad_month_is_refused(april, month):
    result = april("statement", "--contract", "c1", "--month", month)
    assert_one_line_error(result, 2, f"invalid month '{month}'", "YYYY-MM")


def test_a_missing_option_is_a_one_line_usage_error(april):
    result = april("statement", "--month", "2026-04")
    assert_one_line_error(result, 2, "Missing option '--contract'", "sla-ledger statement --help")


def test_a_missing_import_file_is_refused(april, tmp_path):
    result = april("import", str(tmp_path / "missing.jsonl"))
    assert_one_line_error(result, 2, "missing.jsonl", "does not exist")


def test_reading_a_missing_store_is_refused_not_created(tmp_path):
    path = tmp_path / "absent.db"
    result = Cli(url_of(path))("credits")
    assert_one_line_error(result, 2, "no ledger at", "sla-ledger demo")
    assert not path.exists()


def test_a_store_that_cannot_be_opened_exits_1(tmp_path):
    result = Cli(url_of(tmp_path / "no" / "such" / "dir.db"))("close")
    assert_one_line_error(result, 1, "cannot open the ledger store")


def test_an_unsupported_url_is_refused(tmp_path):
    assert_one_line_error(Cli("ftp://x")("services"), 2, "--url", "unsupported store URL")


def test_the_url_comes_from_the_environment(april_template):
    from click.testing import CliRunner

    env = {**PLAIN, "SLA_LEDGER_URL": url_of(april_template)}
    result = CliRunner(env=env).invoke(main, ["services"])
    assert result.exit_code == 0, result.output
    assert "web" in result.stdout


@pytest.mark.parametrize(
    "command",
    ["demo", "import", "export", "close", "statement", "credits", "services", "contracts"],
)
def test_every_command_has_help_with_an_example(command):
    from click.testing import CliRunner

    result = CliRunner(env=PLAIN).invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"sla-ledger {command}" in result.stdout or "sla-ledger --url" in result.stdout


def test_the_url_may_follow_the_command(april_template):
    from click.testing import CliRunner

    args = ["services", "--url", url_of(april_template), "--json"]
    result = CliRunner(env=PLAIN).invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["service_id"] == "web"
