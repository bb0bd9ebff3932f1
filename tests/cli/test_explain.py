"""``sla-ledger explain`` on the April store: human output, JSON, and errors."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli.test_commands import assert_one_line_error

EXPLAIN = ("explain", "--contract", "c1", "--line", "core", "--month", "2026-04")
# The April store holds one batch a day of 1,440 probes (web from fra, every
# minute) after the service and the contract: 10 April is at position 12, and
# 12:00 is the 720th probe of its only series.
OUTAGE_PROBE = "fra saw web down at 2026-04-10 12:00:00Z; log position 12, series 0, index 720"


def test_an_open_month_is_explained_as_computed_now_and_says_it_is_not_issued(april):
    result = april(*EXPLAIN)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "not issued: the figures as known at" in out and "reproduced   yes" in out
    assert "1. down 2026-04-10 12:00:00Z → 2026-04-10 12:45:00Z (45m; counted 45m)" in out
    assert OUTAGE_PROBE in out
    assert "(2592000 - 2700) / 2592000 s = 959/960 = 99.8958 % (truncated)" in out
    assert "credit                           base x min(10 %, max 100 %) = 100 → 100.00 EUR" in out


def test_an_issued_statement_is_explained_as_json_with_its_version_and_position(april):
    assert april("close", "--now", "2026-05-02T01:00:00Z").exit_code == 0

    result = april(*EXPLAIN, "--json")

    assert result.exit_code == 0, result.output
    x = json.loads(result.stdout)
    assert (x["issued"], x["version"], x["consistent"], x["discrepancies"]) == (True, 1, True, [])
    assert x["log_position"] == x["statement"]["log_position"] == x["replayed_to"] == 33
    assert x["log_digest"] == x["statement"]["log_digest"]
    assert x["log_digest"]["size"] == 33
    (period,) = x["periods"]
    assert (period["state"], period["counted"]) == ("down", "2700")
    (opened,) = period["opened_by"]["evidence"]
    assert opened["kind"] == "probe"
    assert {k: opened["probe"][k] for k in ("position", "series", "index", "outcome")} == {
        "position": 12,
        "series": 0,
        "index": 720,
        "outcome": "down",
    }
    assert opened["probe"]["batch"]["type"] == "ProbesRecorded"
    arithmetic = x["arithmetic"]
    assert (arithmetic["availability"], arithmetic["base"], arithmetic["credit"]) == (
        "959/960",
        "1000.00",
        "100.00",
    )


def test_as_known_at_before_the_close_explains_what_was_known_then(april):
    assert april("close", "--now", "2026-05-02T01:00:00Z").exit_code == 0

    result = april(*EXPLAIN, "--as-known-at", "2026-04-20T00:00:00Z", "--json")

    assert result.exit_code == 0, result.output
    x = json.loads(result.stdout)
    assert (x["issued"], x["as_known_at"]) == (False, "2026-04-20T00:00:00Z")
    # Known then: the batches up to the 19th's; the month measured up to then.
    assert x["active_until"] == "2026-04-20T00:00:00Z"
    assert x["statement"]["active"] == str(19 * 86_400)
    assert [p["state"] for p in x["periods"]] == ["down"]


def test_a_statement_edited_in_the_file_is_shown_as_a_discrepancy_and_exits_3(april):
    assert april("close", "--now", "2026-05-02T01:00:00Z").exit_code == 0
    path = april.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE topic = 'StatementIssued'"
        ).fetchone()
        edited = state.replace(b'"credit":"100.00"', b'"credit":"250.00"')
        db.execute("UPDATE stored_events SET state = ? WHERE topic = 'StatementIssued'", (edited,))

    result = april(*EXPLAIN)

    assert result.exit_code == 3
    assert "DISCREPANCY: the derivation does not reproduce the statement" in result.stdout
    assert result.stderr == (
        "error: the derivation does not reproduce the issued statement: "
        "credit, credit (arithmetic)\n"
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("--contract", "nope", "--line", "core", "--month", "2026-04"),
            ["unknown contract 'nope'"],
        ),
        (
            ("--contract", "c1", "--line", "edge", "--month", "2026-04"),
            ["no line 'edge'", "'core'"],
        ),
        (("--contract", "c1", "--line", "core", "--month", "2026-13"), ["invalid month '2026-13'"]),
        (("--contract", "c1", "--line", "core", "--month", "2026-03"), ["not active in 2026-03"]),
        (("--contract", "c1", "--month", "2026-04"), ["Missing option '--line'"]),
    ],
)
def test_unknown_contracts_lines_and_months_exit_2_with_one_line(april, args, fragments):
    assert_one_line_error(april("explain", *args), 2, *fragments)
