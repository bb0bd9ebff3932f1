"""``sla-ledger case ...``, ``exclude``, ``withdraw-exclusion`` and the response figures
in ``statement``, on a real SQLite file."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, url_of
from tests.cli.test_commands import assert_one_line_error
from tests.integration.support_month import build


@pytest.fixture(scope="session")
def support_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("support") / "support.db"
    ledger, _, _ = build(url_of(path), close=False)
    ledger.close()
    return path


@pytest.fixture
def support(support_template: Path, tmp_path: Path) -> Cli:
    """A private copy of support_month's April, not yet closed."""
    path = tmp_path / "support.db"
    shutil.copy(support_template, path)
    return Cli(url_of(path))


def test_statement_shows_the_response_figures_provisional_then_issued(support):
    before = support("statement", "--contract", "acme", "--month", "2026-04")
    assert before.exit_code == 0, before.output
    assert "responses · 2026-04" in before.stdout and "provisional" in before.stdout
    closed = support("close", "--now", "2026-05-01T02:00:00Z")
    assert closed.exit_code == 0, closed.output
    assert "Response statements" in closed.stdout and "20.00 EUR" in closed.stdout
    after = support("statement", "--contract", "acme", "--month", "2026-04")
    assert after.exit_code == 0, after.output
    for text in (
        "ACME · acme · responses · 2026-04 (UTC) · v1 issued",
        "3 met, 1 missed, 0 not yet due",
        "100.00 EUR availability + 20.00 EUR response = 120.00 EUR (12 % of 1,000.00 EUR",
        "Worst misses",
        "sev3, business",
        "1h 30m",
        "invoice question",
        "v1 sha256:",
    ):
        assert text in after.stdout, text
    shown = json.loads(
        support("statement", "--contract", "acme", "--month", "2026-04", "--json").stdout
    )
    assert [("statement" in x, x["status"]) for x in shown] == [(True, "issued"), (False, "issued")]
    response = shown[1]["response_statement"]
    assert (response["missed"], response["lines"][0]["response_credit"]) == (1, "20.00")
    assert shown[0]["statement"]["terms"]["version"] == 1


def test_a_case_is_opened_answered_and_resolved_from_the_command_line(support):
    opened = support(
        "case", "open", "--contract", "acme", "--severity", "sev3",
        "--opened-at", "2026-04-28T10:00:00+02:00", "--subject", "slow reports", "--json",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    case_id = json.loads(opened.stdout)["case_id"]
    for args, said in [
        (("respond", case_id, "--note", "on it"), f"responded to case {case_id}"),
        (("severity", case_id, "sev1", "--reason", "escalated"), "is now of severity sev1"),
        (("update", case_id), f"updated case {case_id}"),
        (("resolve", case_id), f"resolved case {case_id}"),
    ]:
        result = support("case", *args)
        assert result.exit_code == 0, result.output
        assert said in result.stdout
    listed = json.loads(support("case", "list", "--contract", "acme", "--json").stdout)
    assert [c["subject"] for c in listed] == ["API errors", "invoice question", "slow reports"]
    assert listed[-1]["severity"] == "sev1" and listed[-1]["resolved_at"] is not None
    assert "slow reports" in support("case", "list").stdout


def test_case_commands_refuse_bad_input_in_one_line(support):
    assert_one_line_error(
        support("case", "open", "--contract", "acme", "--severity", "sev9"),
        2,
        "severity 'sev9' is not one of the severities of support tier 'gold': sev1, sev3",
    )
    assert_one_line_error(support("case", "respond", str(uuid.uuid4())), 2, "unknown support case")
    assert_one_line_error(support("case", "respond", "not-a-case"), 2, "not a valid UUID")
    assert_one_line_error(
        support(
            "case", "open", "--contract", "acme", "--severity", "sev1",
            "--opened-at", "2026-04-28T10:00:00",
        ),
        2,
        "has no UTC offset",
    )  # fmt: skip


def test_an_exclusion_is_recorded_listed_on_the_statement_and_withdrawn(support):
    recorded = support(
        "exclude", "--category", "customer-caused", "--service", "api",
        "--start", "2026-04-10T12:00:00Z", "--end", "2026-04-10T12:30:00Z",
        "--reason", "customer's firewall change", "--decided-by", "J. Doe", "--json",
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    exclusion_id = json.loads(recorded.stdout)["exclusion_id"]
    shown = support("statement", "--contract", "acme", "--line", "core", "--month", "2026-04")
    for text in ("Exclusions", "customer's firewall change", "J. Doe", "applied", "30m"):
        assert text in shown.stdout, text
    assert "excluded (maintenance, exclusions)" in shown.stdout
    withdrawn = support(
        "withdraw-exclusion", exclusion_id, "--reason", "it was ours", "--decided-by", "J. Doe"
    )
    assert withdrawn.stdout == f"withdrew exclusion {exclusion_id}\n"
    assert "withdrawn" in support("statement", "--contract", "acme", "--month", "2026-04").stdout
    assert_one_line_error(
        support(
            "exclude", "--category", "maintenance", "--service", "api",
            "--start", "2026-04-10T12:00:00Z", "--end", "2026-04-10T12:30:00Z",
            "--reason", "x", "--decided-by", "y",
        ),
        2,
        "announce maintenance instead",
    )  # fmt: skip


def test_close_says_what_a_late_case_restated(support):
    assert support("close", "--now", "2026-05-01T02:00:00Z").exit_code == 0
    opened = support(
        "case", "open", "--contract", "acme", "--severity", "sev1",
        "--opened-at", "2026-04-29T10:00:00Z",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    closed = support("close", "--now", "2026-05-01T03:00:00Z", "--json")
    assert closed.exit_code == 0, closed.output
    [restated] = json.loads(closed.stdout)  # the availability statement did not change
    assert (restated["contract_id"], restated["version"], restated["missed"]) == ("acme", 2, 2)
    again = support("close", "--now", "2026-05-01T03:00:00Z")
    assert again.stdout == "nothing due: no statement to issue or restate\n"
