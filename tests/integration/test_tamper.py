"""Tampering with the stored rows themselves, in the real SQLite file and PostgreSQL tables.

Each kind of change an operator with database access could make (edit a
payload, delete a row, reorder rows, insert a forged row, and cover tracks by
re-hashing the leaf) is detected by ``verify`` and located at its log position.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta

import psycopg
import pytest

from sla_ledger import StoreError, open_ledger
from sla_ledger.adapters.jsonl import leaf_of
from sla_ledger.domain import events as ev
from sla_ledger.merkle import leaf_hash
from tests.integration.history import build_history


class Rows:
    """Direct SQL on a store's tables, as someone with database access would write it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:")
        self.id = "rowid" if self.sqlite else "notification_id"
        self.events = "stored_events" if self.sqlite else "slaledger_events"
        self.mark = "?" if self.sqlite else "%s"

    def run(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        sql = sql.replace("{id}", self.id).replace("{events}", self.events)
        sql = sql.replace("?", self.mark)
        if self.sqlite:
            with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as conn, conn:
                return conn.execute(sql, args).fetchall()
        with psycopg.connect(self.url) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    def state(self, position: int) -> bytes:
        ((state,),) = self.run("SELECT state FROM {events} WHERE {id} = ?", position)
        return bytes(state)  # type: ignore[arg-type]

    def set_state(self, position: int, state: bytes) -> None:
        self.run("UPDATE {events} SET state = ? WHERE {id} = ?", state, position)

    def set_leaf(self, position: int, leaf: bytes) -> None:
        self.run("UPDATE sla_log_leaves SET leaf = ? WHERE position = ?", leaf, position)


@pytest.fixture(params=["sqlite", "postgres"])
def history(request, tmp_path) -> Iterator[tuple[str, dict[str, int]]]:
    """A store with a month closed and restated, and where some events are in it."""
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("fresh_postgres_url")
    )
    ledger, _ = build_history(url)
    where: dict[str, int] = {}
    for position, event in _events(ledger):
        if isinstance(event, ev.IncidentDeclared) and event.reason == "bad deploy":
            where["incident"] = position
        if isinstance(event, ev.ProbesRecorded):
            where.setdefault("first probes", position)
            where["last probes"] = position
        if isinstance(event, ev.CreditIssued):
            where.setdefault("credit", position)
        if isinstance(event, ev.StatementIssued):
            where.setdefault("statement", position)
    where["size"] = ledger.digest().size
    where["end"] = ledger.position
    assert ledger.verify().ok  # untouched, it verifies: the findings below are the tampering
    ledger.close()
    yield url, where


def _events(ledger):
    for notification in ledger.recorder.select_notifications(start=1, limit=10_000):
        yield notification.id, ledger.mapper.to_domain_event(notification)


def findings(url: str, saved=None) -> set[tuple[str, int | None]]:
    ledger = open_ledger(url)
    try:
        return {(f.kind, f.position) for f in ledger.verify(saved).findings}
    finally:
        ledger.close()


def statement_positions(url: str) -> set[int]:
    ledger = open_ledger(url)
    try:
        return {
            position
            for position, event in _events(ledger)
            if isinstance(event, ev.StatementIssued | ev.StatementRestated)
        }
    finally:
        ledger.close()


def test_an_edited_payload_is_caught_at_its_position(history):
    url, where = history
    rows = Rows(url)
    state = rows.state(where["incident"])
    assert b'"end":"2026-04-16T01:45:00Z"' in state
    rows.set_state(where["incident"], state.replace(b"01:45:00Z", b"01:05:00Z"))  # 40 min less
    found = findings(url)
    assert ("leaf", where["incident"]) in found
    # Every statement computed after it names the changed log, too.
    assert {p for kind, p in found if kind == "digest"} == statement_positions(url)


def test_an_edit_that_rehashes_its_leaf_is_caught_by_the_digests_statements_recorded(history):
    url, where = history
    rows = Rows(url)
    saved = open_ledger(url).digest()
    forged = rows.state(where["incident"]).replace(b"01:45:00Z", b"01:05:00Z")
    rows.set_state(where["incident"], forged)
    ledger = open_ledger(url)
    (notification,) = ledger.recorder.select_notifications(start=where["incident"], limit=1)
    rows.set_leaf(where["incident"], leaf_of(ledger.mapper.to_domain_event(notification)))
    found = findings(url, saved)
    assert ("leaf", where["incident"]) not in found
    assert {p for kind, p in found if kind == "digest"} == statement_positions(url) | {None}


def test_a_deleted_row_is_caught_where_its_leaf_remains(history):
    url, where = history
    Rows(url).run("DELETE FROM {events} WHERE {id} = ?", where["incident"])
    found = findings(url)
    assert ("missing", where["incident"]) in found
    assert ("digest", min(statement_positions(url))) in found


def test_a_deleted_row_and_leaf_are_caught_by_a_saved_digest(history):
    url, where = history
    saved = open_ledger(url).digest()
    rows = Rows(url)
    rows.run("DELETE FROM {events} WHERE {id} = ?", where["incident"])
    rows.run("DELETE FROM sla_log_leaves WHERE position = ?", where["incident"])
    found = findings(url, saved)
    assert ("digest", None) in found
    assert ("digest", min(statement_positions(url))) in found


def test_reordered_rows_are_caught_at_both_positions(history):
    url, where = history
    first, last = where["first probes"], where["last probes"]
    rows = Rows(url)
    for old, new in ((first, -1), (last, first), (-1, last)):
        rows.run("UPDATE {events} SET {id} = ? WHERE {id} = ?", new, old)
    found = findings(url)
    assert {("leaf", first), ("leaf", last)} <= found


def test_a_forged_row_is_caught_without_a_leaf_and_recorded_in_the_past(history):
    url, where = history
    rows = Rows(url)
    ((oid, topic, state),) = rows.run(
        "SELECT originator_id, topic, state FROM {events} WHERE {id} = ?", where["incident"]
    )
    # The same incident under a new stream, slipped in at the end of the log.
    forged_id = "0" * 32 if rows.sqlite else "00000000-0000-0000-0000-000000000000"
    rows.run(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (?, 1, ?, ?)",
        forged_id,
        topic,
        state,
    )
    found = findings(url)
    new = where["end"] + 1
    assert {("leaf", new), ("time", new)} <= found
    assert oid != forged_id


def test_a_forged_credit_with_a_matching_leaf_is_caught_by_replay(history):
    url, where = history
    rows = Rows(url)
    ledger = open_ledger(url)
    (notification,) = ledger.recorder.select_notifications(start=where["credit"], limit=1)
    credit = ledger.mapper.to_domain_event(notification)
    richer = credit.model_copy(update={"amount": credit.amount * 10})
    rows.set_state(where["credit"], ledger.mapper.to_stored_event(richer).state)
    rows.set_leaf(where["credit"], leaf_of(richer))
    found = open_ledger(url).verify().findings
    assert (found[0].kind, found[0].position) == ("statement", where["credit"])
    assert f"amount recorded '{richer.amount}', replayed '{credit.amount}'" in found[0].message
    # The restatement computed after it saw the honest credit in the log.
    later = {
        position
        for position, event in _events(open_ledger(url))
        if isinstance(event, ev.StatementIssued | ev.StatementRestated)
        and event.statement.log_digest.size >= where["credit"]  # no gaps in these positions
    }
    assert later
    assert {(f.kind, f.position) for f in found[1:]} == {("digest", p) for p in later}


def test_a_saved_digest_of_an_untouched_log_verifies_as_it_grows(history):
    url, _ = history
    ledger = open_ledger(url)
    saved = ledger.digest()
    ledger.declare_incident(["api"], ledger.clock.now() - timedelta(days=1), reason="later")
    assert ledger.digest().size == saved.size + 1
    report = open_ledger(url).verify(saved)
    assert report.ok, report.findings
    assert leaf_hash(b"") != bytes.fromhex(saved.root)


def test_a_payload_that_no_longer_parses_is_a_finding_not_a_crash(history):
    url, where = history
    Rows(url).set_state(where["incident"], b"{not json")
    assert ("undecodable", where["incident"]) in findings(url)
    with pytest.raises(
        StoreError, match=f"cannot read the event at log position {where['incident']}"
    ):
        open_ledger(url).digest()
