"""The CLI on encrypted stores: keygen, the key from the environment, one-line refusals."""

from __future__ import annotations

import json
from base64 import b64decode

import pytest
from click.testing import CliRunner, Result

from sla_ledger.adapters.encryption import KEY_VARIABLE
from sla_ledger.cli import main
from tests.cli.conftest import PLAIN, Cli, url_of
from tests.cli.test_commands import assert_one_line_error

APRIL_STATEMENT = ("statement", "--contract", "c1", "--month", "2026-04", "--json")
AS_KNOWN = ("--as-known-at", "2026-05-01T12:00:00Z")


def run(url: str, key: str | None, *args: str) -> Result:
    env = {**PLAIN, KEY_VARIABLE: key}
    return CliRunner(env=env).invoke(main, ["--url", url, *args])


@pytest.fixture
def keys() -> tuple[str, str]:
    made = [CliRunner().invoke(main, ["keygen"]) for _ in range(2)]
    assert [r.exit_code for r in made] == [0, 0]
    return made[0].stdout.strip(), made[1].stdout.strip()


@pytest.fixture
def encrypted(april: Cli, tmp_path, keys) -> str:
    """The April store, exported and imported into a store encrypted with the first key."""
    export = tmp_path / "april.jsonl"
    assert april("export", str(export)).exit_code == 0
    url = url_of(tmp_path / "secret.db")
    result = run(url, keys[0], "import", str(export))
    assert result.exit_code == 0, result.output
    return url


def test_keygen_prints_a_new_base64_aes_256_key_each_time(keys):
    assert keys[0] != keys[1]
    assert [len(b64decode(k, validate=True)) for k in keys] == [32, 32]
    as_json = json.loads(CliRunner().invoke(main, ["keygen", "--json"]).stdout)
    assert len(b64decode(as_json["key"], validate=True)) == 32


def test_an_encrypted_store_shows_the_same_statement_as_the_plain_one(april, encrypted, keys):
    plain = april(*APRIL_STATEMENT, *AS_KNOWN)
    secret = run(encrypted, keys[0], *APRIL_STATEMENT, *AS_KNOWN)
    assert secret.exit_code == 0, secret.output
    assert json.loads(secret.stdout) == json.loads(plain.stdout)
    assert json.loads(secret.stdout)[0]["statement"]["customer"] == "Initech"
    with open(encrypted.removeprefix("sqlite:///"), "rb") as stored:
        assert b"Initech" not in stored.read()


@pytest.mark.parametrize(
    ("which", "fragments"),
    [
        (None, ("is encrypted: set SLA_LEDGER_CIPHER_KEY",)),
        (1, ("cannot decrypt stored event 1", "another key")),
        ("bad", ("SLA_LEDGER_CIPHER_KEY is not base64", "sla-ledger keygen")),
    ],
    ids=["no key", "another key", "malformed key"],
)
def test_an_encrypted_store_without_its_key_is_one_line_and_exit_1_and_nothing_is_closed(
    encrypted, keys, which, fragments
):
    key = {None: None, 1: keys[1], "bad": "!!"}[which]
    for command in (APRIL_STATEMENT, ("close", "--now", "2026-05-02T01:00:00Z")):
        assert_one_line_error(run(encrypted, key, *command), 1, *fragments)
    still = json.loads(run(encrypted, keys[0], *APRIL_STATEMENT).stdout)
    assert [s["status"] for s in still] == ["provisional"]


def test_a_plain_store_with_a_key_set_is_refused_in_one_line(april, keys):
    result = run(april.url, keys[0], *APRIL_STATEMENT)
    assert_one_line_error(result, 1, "the store is not encrypted but SLA_LEDGER_CIPHER_KEY is set")
