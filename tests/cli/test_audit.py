"""``digest``, ``verify``, ``prove`` and ``check-proof`` on a real SQLite store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_commands import assert_one_line_error

CLOSE = "2026-05-02T01:00:00Z"  # April only


@pytest.fixture
def closed(april: Cli) -> Cli:
    assert april("close", "--now", CLOSE).exit_code == 0
    return april


def digest_of(cli: Cli) -> str:
    result = cli("digest")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_an_untouched_store_verifies_and_extends_its_earlier_digest(closed):
    earlier = digest_of(closed)
    size = int(earlier.split(":")[0])
    result = closed("verify", "--digest", earlier)
    assert result.exit_code == 0, result.output
    assert f"replayed {size} events: 1 statement versions and 1 credits recomputed" in result.stdout
    assert f"the log is an append-only extension of {earlier}" in result.stdout
    assert "verified" in result.stdout
    report = json.loads(closed("verify", "--json").stdout)
    assert (report["ok"], report["digest"], report["findings"]) == (True, earlier, [])


def test_a_tampered_file_fails_verification_with_exit_code_3_naming_the_position(closed):
    path = closed.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = 2").fetchone()
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = 2",
            (state.replace(b"Initech", b"Initeck"),),
        )
    result = closed("verify")
    assert result.exit_code == 3
    assert "leaf: position 2: ContractSigned" in result.stdout
    assert "no longer hashes to the leaf recorded with it" in result.stdout
    assert result.stderr == "error: verification failed: 2 finding(s)\n"
    assert "Traceback" not in result.output


def test_a_proof_printed_by_prove_checks_against_the_digest_alone(closed, tmp_path):
    digest = digest_of(closed)
    proof = tmp_path / "proof.json"
    proof.write_text(closed("prove", "--position", "3", "--json").stdout)
    assert json.loads(proof.read_text())["index"] == 2
    checked = Cli("memory://")("check-proof", str(proof), "--digest", digest)
    assert (checked.exit_code, checked.stdout) == (0, "the inclusion proof verifies\n")
    other = digest.split(":")[0] + ":" + "0" * 64
    failed = Cli("memory://")("check-proof", str(proof), "--digest", other)
    assert_one_line_error(failed, 3, "not at the trusted digest")


def test_a_consistency_proof_shows_the_log_grew_from_an_earlier_digest(april, tmp_path):
    earlier = digest_of(april)
    assert april("close", "--now", CLOSE).exit_code == 0
    grew = tmp_path / "grew.json"
    size = earlier.split(":")[0]
    grew.write_text(april("prove", "--from", size, "--json").stdout)
    assert json.loads(grew.read_text())["old_root"] == earlier.split(":")[1]
    result = april("check-proof", str(grew), "--digest", digest_of(april))
    assert result.exit_code == 0, result.output


def test_an_export_file_verifies_without_the_store(closed, tmp_path):
    export = tmp_path / "export.jsonl"
    assert closed("export", str(export)).exit_code == 0
    result = Cli("memory://")("verify", "--file", str(export), "--digest", digest_of(closed))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("prove",), "give exactly one of --position, --event and --from"),
        (("prove", "--event", "nope"), "is not ID:VERSION"),
        (("prove", "--position", "99999"), "no event at log position 99999"),
        (("verify", "--digest", "12:abc"), "expected SIZE:ROOTHEX"),
    ],
)
def test_bad_audit_arguments_are_one_line_errors(closed, args, fragment):
    assert_one_line_error(closed(*args), 2, fragment)


def test_a_file_that_is_not_a_proof_is_refused(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"kind": "receipt"}')
    result = Cli("memory://")("check-proof", str(bogus))
    assert_one_line_error(result, 2, "is not a proof from 'sla-ledger prove --json'")


def test_verify_lists_an_event_that_cannot_be_read_where_other_commands_refuse(closed):
    path = closed.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 2", (b"{not json",))
    result = closed("verify")
    assert result.exit_code == 3
    assert "undecodable: position 2: the stored event cannot be read" in result.stdout
    assert_one_line_error(
        closed("statement", "--contract", "c1", "--month", "2026-04"), 1, "position 2"
    )
