"""The log digest on SQLite and PostgreSQL: statements record it, proofs check against it."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from sla_ledger import InvalidProof, StoreError, UnknownReference, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.audit.proofs import check_proof
from sla_ledger.domain import events as ev
from sla_ledger.merkle import leaf_hash, root
from tests.integration.history import build_history


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def ledger(request, tmp_path_factory):
    with ExitStack() as stack:
        url = (
            f"sqlite:///{tmp_path_factory.mktemp('digest') / 'ledger.db'}"
            if request.param == "sqlite"
            else stack.enter_context(request.getfixturevalue("postgres_databases")())
        )
        ledger, _ = build_history(url)
        yield ledger
        ledger.close()


def exported_lines(ledger) -> list[bytes]:
    path_lines: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            path_lines.append(text)

    export_jsonl(ledger, Sink())
    return [line.rstrip("\n").encode() for line in "".join(path_lines).splitlines()]


def test_the_digest_is_the_merkle_root_of_the_export_lines(ledger):
    lines = exported_lines(ledger)
    digest = ledger.digest()
    assert digest.size == len(lines)
    assert digest.root == root([leaf_hash(line) for line in lines]).hex()


def test_every_statement_records_the_digest_of_the_log_before_it(ledger):
    leaves = [leaf_hash(line) for line in exported_lines(ledger)]
    statements = ledger.statements()
    assert statements
    for statement in statements:
        size = statement.log_digest.size
        assert statement.log_digest.root == root(leaves[:size]).hex()
        proof = ledger.prove_consistency(size)
        check_proof(proof, ledger.digest())
        assert proof.old_root == statement.log_digest.root


def test_every_event_has_an_inclusion_proof_that_checks(ledger):
    digest = ledger.digest()
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=10_000)]
    assert len(positions) == digest.size
    for index, position in enumerate(positions):
        proof = ledger.prove(position)
        assert (proof.index, proof.size) == (index, digest.size)
        check_proof(proof, digest)


def test_a_probe_batch_a_statement_cites_is_proved_by_its_id_in_an_older_log(ledger):
    statement = next(s for s in ledger.statements() if s.changed_by)
    cited = statement.changed_by[0]
    proof = ledger.prove(
        event=(cited.originator_id, cited.originator_version), size=statement.log_digest.size
    )
    check_proof(proof, statement.log_digest)
    assert f'"originator_id":"{cited.originator_id}"' in proof.line


def test_a_proof_checked_against_another_digest_or_altered_fails(ledger):
    proof = ledger.prove(3)
    older = ledger.prove_consistency(10)
    with pytest.raises(InvalidProof, match="not at the trusted digest"):
        check_proof(proof, ledger.digest().model_copy(update={"size": 10}))
    forged = proof.model_copy(update={"line": proof.line.replace('"type"', '"type" ')})
    with pytest.raises(InvalidProof, match="line does not hash to the proof's leaf"):
        check_proof(forged)
    with pytest.raises(InvalidProof, match="consistency proof does not verify"):
        check_proof(older.model_copy(update={"old_root": "0" * 64}))


def test_proofs_of_what_is_not_in_the_log_are_refused(ledger):
    size = ledger.digest().size
    with pytest.raises(UnknownReference, match="no event at log position 100000"):
        ledger.prove(100_000)
    with pytest.raises(InvalidProof, match=f"size {size + 1} is not between 0 and"):
        ledger.prove(1, size=size + 1)
    with pytest.raises(InvalidProof, match=f"old size {size + 1} is not between 0"):
        ledger.prove_consistency(size + 1)
    with pytest.raises(InvalidProof, match="malformed"):
        ledger.verify("12:abc")


def test_an_imported_export_has_the_same_digest_and_verifies(ledger, tmp_path):
    copy = open_ledger(f"sqlite:///{tmp_path / 'copy.db'}")
    export = tmp_path / "export.jsonl"
    export_jsonl(ledger, export)
    import_jsonl(copy, export)
    assert copy.digest() == ledger.digest()
    report = copy.verify(ledger.digest())
    assert report.ok, report.findings
    assert (report.statements, report.credits) == (
        sum(isinstance(e, ev.StatementIssued | ev.StatementRestated) for e in _events(ledger)),
        sum(isinstance(e, ev.CreditIssued | ev.CreditAdjusted) for e in _events(ledger)),
    )


def test_proofs_refuse_a_store_whose_leaves_were_removed(tmp_path):
    build_history(f"sqlite:///{tmp_path / 'ledger.db'}")
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("DELETE FROM sla_log_leaves WHERE position = 2")
    reopened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    with pytest.raises(StoreError, match="run 'sla-ledger verify'"):
        reopened.prove(1)


def _events(ledger):
    for notification in ledger.recorder.select_notifications(start=1, limit=10_000):
        yield ledger.mapper.to_domain_event(notification)


def test_a_binding_before_older_imported_history_is_outside_the_order_of_recording(
    ledger, tmp_path
):
    # A binding says when its store was created, after the history imported into it.
    # (The log is then the binding and the history: statements' digests refer to the
    # source's log without it, so verify the source's export; see docs/auditing.md.)
    export = tmp_path / "export.jsonl"
    export_jsonl(ledger, export)
    bound = open_ledger(f"sqlite:///{tmp_path / 'bound.db'}", region="eu")
    import_jsonl(bound, export)
    assert not [f for f in bound.verify().findings if f.kind in ("time", "leaf", "missing")]
    bound.declare_incident(["api"], datetime(2026, 5, 1, tzinfo=UTC), reason="later")
