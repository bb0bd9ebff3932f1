"""``sla-ledger diff``: a month as known at two instants, for people and machines."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli, url_of
from tests.cli.test_commands import assert_one_line_error
from tests.integration.late_evidence import T1, T2, build

MONTH = ("--contract", "acme", "--month", "2026-04")
FROM_T1 = ("--from", T1.isoformat())
TO_T2 = ("--to", T2.isoformat())


@pytest.fixture(scope="module")
def late(tmp_path_factory) -> Cli:
    path = tmp_path_factory.mktemp("late") / "late.db"
    ledger, _ = build(url_of(path))
    ledger.close()
    return Cli(url_of(path))


def test_diff_shows_changed_figures_outages_and_the_evidence_in_between(late):
    result = late("diff", *MONTH, *FROM_T1, *TO_T2)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ACME · acme / core · 2026-04\n" in out
    assert "before: v1 as known at 2026-05-01 02:00:00Z\n" in out
    assert "after:  v1 as known at 2026-05-01 06:00:00Z\n" in out
    for row in (
        ("down", "136h 45m", "1h 10m"),
        ("unknown", "50m", "0s"),
        ("availability_percent", "80.8912 %", "99.8379 %"),
        ("credit", "1,000.00 EUR", "100.00 EUR"),
        ("added", "2026-04-25 08:00:00 UTC", "2026-04-25 08:30:00 UTC", "30m", "incident"),
        ("removed", "2026-04-25 08:00:00 UTC", "2026-05-01 00:00:00 UTC", "136h", "incident"),
        ("added", "ProbesInvalidated", "2026-05-01 04:00:00Z"),
    ):
        assert any(all(cell in line for cell in row) for line in out.splitlines()), row
    evidence = out[out.index("Recorded in between") :].splitlines()[4:7]
    assert [line.split()[0] for line in evidence] == [
        "ProbesRecorded",
        "ProbesInvalidated",
        "IncidentResolved",
    ]


def test_diff_json_gives_figures_as_a_statements_json_does(late):
    shown = json.loads(late("diff", *MONTH, *FROM_T1, *TO_T2, "--json").stdout)
    assert len(shown) == 1
    d = shown[0]
    assert (d["contract_id"], d["line_id"], d["month"], d["changed"]) == (
        "acme",
        "core",
        "2026-04",
        True,
    )
    assert (d["before"]["version"], d["before"]["known_at"]) == (1, "2026-05-01T02:00:00Z")
    assert (d["after"]["version"], d["after"]["known_at"]) == (1, "2026-05-01T06:00:00Z")
    assert d["figures"]["down"] == {"before": "492300", "after": "4200"}
    assert d["figures"]["availability"] == {"before": "6989/8640", "after": "4313/4320"}
    assert d["figures"]["credit"] == {"before": "1000.00", "after": "100.00"}
    assert [o["end"] for o in d["outages"]["removed"]] == [
        "2026-04-10T12:45:00Z",
        "2026-05-01T00:00:00Z",
    ]
    assert [e["type"] for e in d["corrections"]["added"]] == ["ProbesInvalidated"]
    assert [e["type"] for e in d["evidence"]] == [
        "ProbesRecorded",
        "ProbesInvalidated",
        "IncidentResolved",
    ]


def test_diff_to_defaults_to_now(late):
    until_now = json.loads(late("diff", *MONTH, *FROM_T1, "--json").stdout)[0]
    until_t2 = json.loads(late("diff", *MONTH, *FROM_T1, *TO_T2, "--json").stdout)[0]
    assert until_now["figures"] == until_t2["figures"]
    assert until_now["evidence"] == until_t2["evidence"]
    assert until_now["after"]["known_at"] > until_t2["after"]["known_at"]


def test_diff_issued_compares_the_statement_with_its_restatement(late):
    d = json.loads(late("diff", *MONTH, *FROM_T1, *TO_T2, "--issued", "--json").stdout)[0]
    assert (d["before"]["version"], d["after"]["version"]) == (1, 2)
    assert d["figures"]["credit"] == {"before": "1000.00", "after": "100.00"}
    human = late("diff", *MONTH, *FROM_T1, *TO_T2, "--issued", "--line", "core").stdout
    assert "before: v1 as known at 2026-05-01 02:00:00Z\n" in human
    assert "after:  v2 as known at 2026-05-01 06:00:00Z\n" in human


def test_diff_of_one_instant_with_itself_shows_no_change(late):
    result = late("diff", *MONTH, *FROM_T1, "--to", T1.isoformat())
    assert result.exit_code == 0, result.output
    assert "No change." in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ((*MONTH, "--from", T2.isoformat(), "--to", T1.isoformat()), ("is later than --to",)),
        ((*MONTH, "--from", "2999-01-01T00:00:00Z"), ("is later than now",)),
        ((*MONTH, "--from", "2026-05-01T02:00:00"), ("has no UTC offset",)),
        (("--contract", "nope", "--month", "2026-04", *FROM_T1), ("unknown contract 'nope'",)),
        ((*MONTH, "--line", "edge", *FROM_T1), ("has no line 'edge'",)),
        ((*MONTH, "--from", "2026-04-30T00:00:00Z", "--issued"), ("had been issued by",)),
        (("--contract", "acme", "--month", "2026-13", *FROM_T1), ("2026-13",)),
        ((*MONTH,), ("Missing option '--from'",)),
    ],
    ids=[
        "from after to",
        "from after now",
        "naive instant",
        "unknown contract",
        "unknown line",
        "not issued yet",
        "bad month",
        "no from",
    ],
)
def test_diff_refuses_bad_input_in_one_line_with_exit_2(late, args, fragments):
    assert_one_line_error(late("diff", *args), 2, *fragments)


def test_diff_of_a_missing_store_is_a_usage_error(tmp_path):
    result = Cli(url_of(tmp_path / "none.db"))("diff", *MONTH, *FROM_T1)
    assert_one_line_error(result, 2, "does not exist")
