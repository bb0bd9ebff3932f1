"""Fuzzing ``import_jsonl``: valid exports, mutated (bytes flipped, cut, lines swapped,
repeated or dropped, fields edited, bogus JSON, huge numbers, other schema versions).

Into an empty store, each file is imported whole and then reproduces the world's log
digest when it was not changed, or refused with ``ImportFailed`` naming the line and
nothing written; into the world itself, likewise (the events are there already).
"""

from __future__ import annotations

import io
import json
from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger import ImportFailed, ManualClock, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import attempt
from tests.reliability.fuzz.world import NOW, Template
from tests.reliability.profile import sized


@pytest.fixture(scope="module")
def exported(world: Template) -> bytes:
    with world.copy() as (ledger, _):
        out = io.StringIO()
        export_jsonl(ledger, out)
    return out.getvalue().encode()


JSON_VALUES = (
    None,
    True,
    False,
    0,
    -1,
    1,
    10**30,
    -(10**30),
    2**63,
    1e308,
    0.1,
    "",
    " ",
    "\x00",
    "\u202e",
    "💥" * 50,
    "x" * 100_000,
    "2026-04-01T00:00:00Z",
    "2026-04-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "NaN",
    "1e999",
    "-1",
    "0",
    "99.9",
    "EUR",
    "web",
    "c1",
    "2026-13",
    "00000000-0000-0000-0000-000000000000",
    [],
    {},
    [None],
    {"a": 1},
    ["web"],
    [True, False],
    ["2026-04-01T00:00:00Z"],
)
BOGUS = (
    b"{",
    b"[]",
    b"null",
    b"\xff\xfe",
    b"",
    b" ",
    b'{"type": "ProbesRecorded"}',
    b"[" * 100_000,
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"type": "LedgerBound", "schema_version": 1}',
)


def _edit(obj: Any, rnd: Random) -> Any:
    """The object with one field somewhere inside it replaced, removed or added."""
    if isinstance(obj, dict) and obj:
        key = rnd.choice(sorted(obj))
        how = rnd.choice(["replace", "replace", "descend", "remove", "add"])
        if how == "descend" and isinstance(obj[key], dict | list) and obj[key]:
            return {**obj, key: _edit(obj[key], rnd)}
        if how == "remove":
            return {k: v for k, v in obj.items() if k != key}
        if how == "add":
            return {**obj, rnd.choice(["x", "", "type", "series", "at"]): rnd.choice(JSON_VALUES)}
        return {**obj, key: rnd.choice(JSON_VALUES)}
    if isinstance(obj, list) and obj:
        index = rnd.randrange(len(obj))
        return [*obj[:index], _edit(obj[index], rnd), *obj[index + 1 :]]
    return rnd.choice(JSON_VALUES)


def mutate(original: bytes, rnd: Random) -> bytes:
    """``original`` with one to three mutations."""
    lines = original.splitlines(keepends=True)
    for _ in range(rnd.randint(1, 3)):
        if not lines:
            lines = [rnd.choice(BOGUS) + b"\n"]
            continue
        index = rnd.randrange(len(lines))
        how = rnd.choice(
            ["flip", "cut", "swap", "repeat", "drop", "edit", "edit", "bogus", "version", "insert"]
        )
        if how == "flip" and lines[index]:
            line = bytearray(lines[index])
            line[rnd.randrange(len(line))] ^= 1 << rnd.randrange(8)
            lines[index] = bytes(line)
        elif how == "cut":
            data = b"".join(lines)
            lines = data[: rnd.randint(0, len(data))].splitlines(keepends=True)
        elif how == "swap":
            other = rnd.randrange(len(lines))
            lines[index], lines[other] = lines[other], lines[index]
        elif how == "repeat":
            lines.insert(rnd.randint(0, len(lines)), lines[index])
        elif how == "drop":
            del lines[index]
        elif how in ("edit", "version"):
            lines[index] = _edited(lines[index], how, rnd)
        elif how == "bogus":
            lines[index] = rnd.choice(BOGUS) + b"\n"
        else:
            lines.insert(index, rnd.randbytes(rnd.randint(1, 40)) + b"\n")
    return b"".join(lines)


def _edited(line: bytes, how: str, rnd: Random) -> bytes:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return line
    if how == "version" and isinstance(obj, dict):
        obj["schema_version"] = rnd.choice([-1, 0, 2, 3, "1", 1.0, None, True, 10**30])
    else:
        obj = _edit(obj, rnd)
    return json.dumps(obj, ensure_ascii=rnd.random() < 0.5).encode() + b"\n"


@settings(max_examples=sized(30, 1500))
@given(seed=st.integers(0, 2**32))
def test_a_mutated_export_is_imported_whole_into_an_empty_store_or_refused(
    world: Template, exported: bytes, seed, tmp_path_factory
) -> None:
    counter.count()
    source = mutate(exported, Random(seed))
    path = tmp_path_factory.mktemp("jsonl") / "mutated.jsonl"
    path.write_bytes(source)
    ledger = open_ledger("memory://", clock=ManualClock(NOW))
    try:
        outcome = attempt(ledger, import_jsonl, ledger, path)
        if not outcome.accepted:
            assert isinstance(outcome.error, ImportFailed), outcome.error
            assert ledger.digest().size == 0
            return
        assert outcome.value.events == ledger.digest().size
        if source == exported:
            with world.copy() as (original, _):
                assert ledger.digest() == original.digest()
        _verifies_or_shows_the_tampering(ledger)
    finally:
        ledger.close()


@settings(max_examples=sized(20, 500))
@given(seed=st.integers(0, 2**32))
def test_a_mutated_export_into_the_ledger_it_came_from_records_nothing_twice(
    world: Template, exported: bytes, seed
) -> None:
    counter.count()
    source = mutate(exported, Random(seed))
    with world.copy(verify=False) as (ledger, _):
        before = ledger.digest()
        outcome = attempt(ledger, import_jsonl, ledger, io.BytesIO(source))
        if outcome.accepted:
            assert ledger.digest().size == before.size + outcome.value.events
            _verifies_or_shows_the_tampering(ledger)


def _verifies_or_shows_the_tampering(ledger) -> None:
    """The store verifies, or verification names the history the file dropped or changed.

    Import checks each line, the order of streams and the probes, but not that a
    statement's recorded log digest matches the lines before it: a file with an event
    dropped before a statement is imported, and ``verify`` then reports it (left for
    the lead: see the fuzz report).
    """
    report = ledger.verify()
    assert report.ok or {f.kind for f in report.findings} == {"digest"}, report.findings[:3]
