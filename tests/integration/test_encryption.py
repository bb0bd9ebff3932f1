"""Encryption at rest: the stored bytes are unreadable, the figures are unchanged, and a
store read without its key (or with another) is refused before anything is written."""

from __future__ import annotations

import hashlib
import io
import re
from base64 import b64encode
from pathlib import Path

import psycopg
import pytest

from sla_ledger import ManualClock, StoreError, open_ledger
from sla_ledger.adapters.encryption import KEY_VARIABLE, new_key
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from tests.integration.scenario import api_service, contract
from tests.integration.test_store_contract import StoreContract
from tests.integration.two_customers import build

KEY = b64encode(bytes(range(32))).decode()
OTHER_KEY = b64encode(bytes(range(1, 33))).decode()
# Plaintext the scenario writes: customer names, contract ids, reasons.
SECRETS = (
    b"ACME GmbH",
    b"Globex Inc",
    b"acme-1",
    b"globex-1",
    b"probe host fault",
    b"late report",
    b"disk swap",
)


def sqlite_bytes(path: Path) -> bytes:
    """The database file with its journal, if any: everything SQLite keeps on disk."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def postgres_states(url: str, table: str) -> list[bytes]:
    with psycopg.connect(url) as conn:
        return [bytes(row[0]) for row in conn.execute(f"SELECT state FROM {table}")]


def found(secrets: tuple[bytes, ...], data: bytes) -> list[bytes]:
    return [s for s in secrets if s in data]


def figures(ledger):
    credits = [
        (c.position, c.kind, c.contract_id, c.line_id, c.month, c.amount, c.statement_version)
        for c in ledger.credits()
    ]
    return ledger.statements(), credits


def exported(ledger) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out)
    return out.getvalue()


def built(url: str, key: str):
    """The two-customer scenario recorded into ``url``, the key taken from the environment."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEY_VARIABLE, key)
        ledger, _ = build(url)
    return ledger


def clock_of(ledger) -> ManualClock:
    """A clock at the time ``ledger``'s stands at, for a copy of it."""
    return ManualClock(ledger.clock.now())


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "plain.db"
    ledger = built(f"sqlite:///{path}", "")
    text = exported(ledger)
    yield path, ledger, text
    ledger.close()


# -- the stored bytes -------------------------------------------------------------------------


def test_an_encrypted_sqlite_file_holds_none_of_the_names_ids_and_reasons_a_plain_one_does(
    plain, tmp_path
):
    plain_path, _, _ = plain
    path = tmp_path / "secret.db"
    built(f"sqlite:///{path}", KEY).close()
    assert found(SECRETS, sqlite_bytes(plain_path)) == list(SECRETS)
    assert found(SECRETS, sqlite_bytes(path)) == []
    assert b"recorded_at" not in sqlite_bytes(path)


def test_encrypted_postgresql_states_hold_none_of_the_names_ids_and_reasons(
    postgres_databases,
):
    with postgres_databases() as plain_url, postgres_databases() as secret_url:
        plain_ledger, secret = built(plain_url, ""), built(secret_url, KEY)
        table = secret.recorder.events_table_name
        plain_ledger.close()
        secret.close()
        plain_states = postgres_states(plain_url, table)
        secret_states = postgres_states(secret_url, table)
    assert found(SECRETS, b"".join(plain_states)) == list(SECRETS)
    assert len(secret_states) == len(plain_states)
    assert found(SECRETS, b"".join(secret_states)) == []
    assert not any(b"recorded_at" in state for state in secret_states)


# -- the figures ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def secret_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'secret.db'}"
    else:
        with request.getfixturevalue("postgres_databases")() as url:
            yield url


def test_an_export_imported_into_an_encrypted_store_keeps_every_statement_credit_and_byte(
    plain, secret_url
):
    _, plain_ledger, text = plain
    ledger = open_ledger(secret_url, clock_of(plain_ledger), cipher_key=KEY)
    try:
        import_jsonl(ledger, io.StringIO(text))
        assert figures(ledger) == figures(plain_ledger)
        assert ledger.close_due_months() == [], "nothing new to issue or restate"
        for s in plain_ledger.statements():
            key = (s.contract_id, s.line_id, s.month)
            assert ledger.compute_statement(*key) == plain_ledger.compute_statement(*key)
        assert exported(ledger) == text
    finally:
        ledger.close()
    reopened = open_ledger(secret_url, clock_of(plain_ledger), cipher_key=KEY)
    assert figures(reopened) == figures(plain_ledger)
    reopened.close()


def test_a_scenario_recorded_encrypted_issues_the_same_figures_as_recorded_plain(plain, secret_url):
    _, plain_ledger, _ = plain
    ledger = built(secret_url, KEY)
    try:
        assert comparable(ledger) == comparable(plain_ledger)
    finally:
        ledger.close()


def comparable(ledger):
    """Statements and credits without the ids of evidence, which are random per recording."""
    ignore = {"changed_by", "corrections", "maintenance", "log_digest"}  # ids are in the log
    statements = [
        (s.model_dump(exclude=ignore), [(m.start, m.status, m.excluded) for m in s.maintenance])
        for s in ledger.statements()
    ]
    return statements, figures(ledger)[1]


# -- refusals ---------------------------------------------------------------------------------


def snapshot(url: str, key: str = KEY) -> tuple[object, ...]:
    """What is stored: the events (decrypted) and, for SQLite, the file's hash."""
    ledger = open_ledger(url, cipher_key=key)
    rows = [(n.id, n.topic, n.state) for n in ledger.recorder.select_notifications(1, 10_000)]
    ledger.close()
    path = Path(url.removeprefix("sqlite:///"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if url.startswith("sqlite") else ""
    return rows, digest


@pytest.fixture
def written(secret_url):
    """A small store written with ``KEY``, and what it holds."""
    ledger = open_ledger(secret_url, cipher_key=KEY)
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    ledger.close()
    return secret_url, snapshot(secret_url)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", f"is encrypted: set {KEY_VARIABLE} to the key the store was written with"),
        (OTHER_KEY, "cannot decrypt stored event 1 (ServiceRegistered) with the key"),
    ],
    ids=["no key", "another key"],
)
def test_an_encrypted_store_opened_without_its_key_is_refused_and_nothing_is_written(
    written, key, message
):
    url, before = written
    with pytest.raises(StoreError, match=re.escape(message)):
        open_ledger(url, cipher_key=key, region="eu")  # a region would be bound: not here
    assert snapshot(url) == before


def test_the_key_comes_from_the_environment(written, monkeypatch):
    url, before = written
    monkeypatch.setenv(KEY_VARIABLE, OTHER_KEY)
    with pytest.raises(StoreError, match="cannot decrypt"):
        open_ledger(url)
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    ledger = open_ledger(url)
    assert [s.service_id for s in ledger.services()] == ["api"]
    ledger.close()
    assert snapshot(url) == before


def test_a_plain_store_opened_with_a_key_is_refused_and_stays_plain(tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    ledger = open_ledger(url, cipher_key="")
    ledger.register_service(api_service())
    ledger.close()
    before = snapshot(url, key="")
    with pytest.raises(StoreError, match="the store is not encrypted but"):
        open_ledger(url, cipher_key=KEY)
    assert snapshot(url, key="") == before


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("not a key!", "is not base64: expected the base64 of 32 random bytes"),
        (b64encode(b"short").decode(), "decodes to 5 bytes: expected 16, 24 or 32"),
    ],
)
def test_a_malformed_key_is_refused_saying_what_a_key_is_and_not_repeating_it(
    tmp_path, key, expected
):
    path = tmp_path / "never.db"
    with pytest.raises(StoreError, match=expected) as error:
        open_ledger(f"sqlite:///{path}", cipher_key=key)
    assert key not in str(error.value)
    assert not path.exists()


def test_new_keys_are_random_aes_256_keys_that_open_a_store(tmp_path):
    first, second = new_key(), new_key()
    assert first != second and len(first) == 44
    ledger = open_ledger(f"sqlite:///{tmp_path / 'new.db'}", cipher_key=first)
    assert ledger.position == 0
    ledger.close()


# -- the whole storage contract, encrypted ------------------------------------------------------


class TestEncryptedSqliteFile(StoreContract):
    @pytest.fixture
    def url(self, tmp_path, monkeypatch):
        monkeypatch.setenv(KEY_VARIABLE, KEY)
        path = tmp_path / "ledger.db"
        yield f"sqlite:///{path}"
        assert b"recorded_at" not in sqlite_bytes(path), "every event was stored encrypted"


class TestEncryptedPostgres(StoreContract):
    @pytest.fixture
    def url(self, fresh_postgres_url, monkeypatch):
        monkeypatch.setenv(KEY_VARIABLE, KEY)
        yield fresh_postgres_url
        ledger = open_ledger(fresh_postgres_url)
        table = ledger.recorder.events_table_name
        ledger.close()
        states = postgres_states(fresh_postgres_url, table)
        assert not any(b"recorded_at" in state for state in states), "all stored encrypted"
