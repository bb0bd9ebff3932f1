"""docs/log-digest.md's worked example is what sla_ledger.merkle computes, number for number."""

import re
from pathlib import Path

import pytest

from sla_ledger.merkle import (
    EMPTY_ROOT,
    Digest,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

DOC = (Path(__file__).resolve().parent.parent / "docs" / "log-digest.md").read_text()


def example_data():
    found = re.findall(r"^(D\d) = (.+?)  \(hex ([0-9a-f]+)\)$", DOC, flags=re.MULTILINE)
    assert [name for name, _, _ in found] == ["D0", "D1", "D2", "D3"]
    for _, text, hexed in found:
        assert text.encode() == bytes.fromhex(hexed)
    return [text.encode() for _, text, _ in found]


def example_hashes():
    leaves = [leaf_hash(data) for data in example_data()]
    named = {f"L{i}": leaf for i, leaf in enumerate(leaves)}
    named |= {"N01": node_hash(leaves[0], leaves[1]), "N23": node_hash(leaves[2], leaves[3])}
    named |= {"root3": root(leaves[:3]), "root4": root(leaves)}
    return leaves, named


def test_the_hashes_of_the_worked_example_are_those_the_module_computes():
    _, named = example_hashes()
    shown = re.findall(r"^(\w+) = HASH\(.*\) = ([0-9a-f]{64})$", DOC, flags=re.MULTILINE)
    assert {name: bytes.fromhex(value) for name, value in shown} == named
    assert named["root3"] == node_hash(named["N01"], named["L2"])
    assert named["root4"] == node_hash(named["N01"], named["N23"])


def test_the_digests_shown_are_those_of_the_example_log():
    leaves, _ = example_hashes()
    shown = re.findall(r"^\d+:[0-9a-f]{64}$", DOC, flags=re.MULTILINE)
    assert shown == [str(Digest(size, root(leaves[:size]))) for size in (1, 2, 3, 4)]


def test_every_hash_in_the_doc_is_one_of_the_example_or_the_empty_root():
    _, named = example_hashes()
    known = {value.hex() for value in named.values()} | {EMPTY_ROOT.hex()}
    assert set(re.findall(r"\b[0-9a-f]{64}\b", DOC)) <= known


def proof_named(names):
    _, named = example_hashes()
    return [named[name] for name in names.split(", ")]


@pytest.mark.parametrize(
    "walk", re.findall(r"\*\*Leaf (\d) in the tree of size (\d)\*\*: the proof is `\[(.*?)\]`", DOC)
)
def test_the_inclusion_proofs_walked_through_are_the_modules_and_verify(walk):
    leaves, _ = example_hashes()
    index, size, proof = int(walk[0]), int(walk[1]), proof_named(walk[2])
    assert inclusion_proof(index, leaves[:size]) == proof
    verify_inclusion(leaves[index], index, size, proof, root(leaves[:size]))


@pytest.mark.parametrize(
    "walk", re.findall(r"\*\*From size (\d) to size (\d)\*\*: the proof is `\[(.*?)\]`", DOC)
)
def test_the_consistency_proofs_walked_through_are_the_modules_and_verify(walk):
    leaves, _ = example_hashes()
    old, new, proof = int(walk[0]), int(walk[1]), proof_named(walk[2])
    assert consistency_proof(old, leaves[:new]) == proof
    verify_consistency(old, root(leaves[:old]), new, root(leaves[:new]), proof)


def test_the_doc_walks_through_two_proofs_of_each_kind():
    assert len(re.findall(r"\*\*Leaf \d in the tree of size \d\*\*: the proof is", DOC)) == 2
    assert len(re.findall(r"\*\*From size \d to size \d\*\*: the proof is", DOC)) == 2


def test_the_python_example_runs():
    (block,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    exec(compile(block, "docs/log-digest.md", "exec"), {"__name__": "log_digest_doc"})
