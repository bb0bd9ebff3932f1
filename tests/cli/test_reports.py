"""``sla-ledger report`` and ``sla-ledger portfolio`` on the April store (nothing closed)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from tests.cli.conftest import Cli

REPORT = ("report", "--contract", "c1", "--month", "2026-04")


def test_report_writes_one_html_file_and_says_what_it_wrote(april, tmp_path):
    out = tmp_path / "c1-2026-04.html"
    result = april(*REPORT, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote the provisional html report of c1 for 2026-04 (lines: core) to {out}\n"
    )
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "99.8958 %" in html and "PROVISIONAL" in html
    assert not list(tmp_path.glob("*.partial"))

    again = april(*REPORT, "-o", str(out), "--json")
    assert json.loads(again.stdout) == {
        "file": str(out),
        "format": "html",
        "status": "provisional",
        "lines": ["core"],
    }


def test_report_prints_markdown_or_json_to_standard_output(april):
    md = april(*REPORT, "--format", "md")
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Monthly SLA report · April 2026\n")
    assert "**Availability: 99.8958 %** (exactly 959/960" in md.stdout

    for args in (("--format", "json"), ("--json",)):
        data = json.loads(april(*REPORT, *args).stdout)
        assert data["lines"][0]["statement"]["credit"] == "100.00"
        assert data["lines"][0]["working"]["credit_percent"] == "10"


def test_a_closed_month_is_reported_from_its_issued_statement(april):
    assert april("close", "--now", "2026-05-02T01:00:00Z").exit_code == 0
    data = json.loads(april(*REPORT, "--line", "core", "--json").stdout)
    assert data["provisional"] is False
    assert [v["version"] for v in data["lines"][0]["history"]] == [1]
    assert [c["amount"] for c in data["lines"][0]["credits"]] == ["100.00"]

    before = json.loads(april(*REPORT, "--as-known-at", "2026-04-11T00:00:00Z", "--json").stdout)
    assert before["provisional"] is True and before["as_known_at"] == "2026-04-11T00:00:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--contract", "nope", "--month", "2026-04"), "unknown contract 'nope'"),
        (("--contract", "c1", "--month", "2026-13"), "invalid month '2026-13'"),
        (("--contract", "c1", "--month", "2026-04", "--format", "pdf"), "'pdf' is not one of"),
        (("--contract", "c1", "--month", "2026-04", "--line", "edge"), "has no line 'edge'"),
        (("--contract", "c1", "--month", "2026-04", "--format", "md", "--json"), "--json asks"),
        (
            ("--contract", "c1", "--month", "2026-04", "--as-known-at", "2026-04-11T00:00:00"),
            "has no UTC offset",
        ),
    ],
)
def test_report_refuses_bad_input_with_exit_2(april, args, message):
    result = april("report", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stdout == ""


def test_report_refuses_a_file_in_a_missing_directory_and_writes_nothing(april, tmp_path):
    out = tmp_path / "missing" / "r.html"
    result = april(*REPORT, "-o", str(out))
    assert result.exit_code == 2 and "is not a directory" in result.stderr
    assert not out.parent.exists()


def test_report_needs_an_existing_store(tmp_path):
    result = Cli(f"sqlite:///{tmp_path / 'none.db'}")(*REPORT)
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_portfolio_shows_every_line_with_totals_per_currency(april, tmp_path):
    table = april("portfolio", "--month", "2026-04")
    assert table.exit_code == 0, table.output
    assert "c1" in table.stdout and "99.8958 %" in table.stdout and "provisional" in table.stdout
    assert "total EUR" in table.stdout and "100.00 EUR" in table.stdout

    data = json.loads(april("portfolio", "--month", "2026-04", "--json").stdout)
    assert [(r["contract_id"], r["line_id"], r["credit"]) for r in data["rows"]] == [
        ("c1", "core", "100.00")
    ]
    assert data["totals"] == [
        {"currency": "EUR", "lines": 1, "credit": "100.00", "credited": "0.00"}
    ]

    out = tmp_path / "portfolio.html"
    written = april("portfolio", "--month", "2026-04", "--format", "html", "-o", str(out))
    assert written.stdout == f"wrote the html portfolio of 2026-04 to {out}\n"
    assert "<!doctype html>" in out.read_text(encoding="utf-8")
    assert (
        "No contract was active"
        in april("portfolio", "--month", "2026-03", "--format", "md").stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "April"), "invalid month 'April'"),
        (("--month", "2026-04", "--format", "xlsx"), "'xlsx' is not one of"),
        (("--month", "2026-04", "-o", "p.txt"), "-o writes html, md or json"),
    ],
)
def test_portfolio_refuses_bad_input_with_exit_2(april, args, message):
    result = april("portfolio", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_a_statement_that_does_not_follow_from_the_log_is_refused_with_exit_1(april):
    assert april("close", "--now", "2026-05-02T01:00:00Z").exit_code == 0
    path = april.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db, db:
        ((rowid, state),) = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic = 'StatementIssued'"
        ).fetchall()
        forged = bytes(state).replace(b'"down":"2700"', b'"down":"0"')
        assert forged != bytes(state)
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))
    result = april(*REPORT)
    assert result.exit_code == 1, result.output
    assert "does not follow from the log it names; run 'sla-ledger verify'" in result.stderr
