"""Known answers for the log's Merkle tree (sla_ledger.merkle).

The vectors are those of the Certificate Transparency reference code, as kept in
github.com/transparency-dev/merkle (first in google/certificate-transparency):

- leaf inputs, the node hashes of the 8-leaf tree and the roots of sizes 0-8:
  testonly/constants.go (LeafInputs, NodeHashes, RootHashes), commit 582a6ad1;
- inclusion and consistency proofs as hashes: proof/verify_test.go
  (inclusionProofs, with 1-based leaf numbers, and consistencyProofs), commit 02194e9a;
- which nodes make up each proof in trees of sizes 1-8: proof/proof_test.go
  (TestInclusion, TestConsistency), commit 02a3e202.
"""

import ast
import sys
from pathlib import Path

import pytest

import sla_ledger.merkle
from sla_ledger.merkle import (
    EMPTY_ROOT,
    Digest,
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

INPUTS = [
    bytes.fromhex(text)
    for text in [
        *("", "00", "10", "2021", "3031", "40414243", "5051525354555657"),
        "606162636465666768696a6b6c6d6e6f",
    ]
]
LEAVES = [leaf_hash(data) for data in INPUTS]


def h(text):
    return bytes.fromhex(text)


ROOTS = [
    EMPTY_ROOT,
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# NODES[level][i]: the complete subtrees of the 8-leaf tree (level 0 are the leaf hashes).
NODES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
# The nodes as the pictures in proof_test.go name them: leaves a-f and j (and leaf 7),
# level 1 g h i, level 2 k and its right sibling m (unnamed there), and in the 7-leaf tree
# l = hash(i, j), where j stands in for its missing parent.
PICTURE = dict(zip("abcdefjx", NODES[0], strict=True)) | dict(zip("ghi", NODES[1], strict=False))
PICTURE |= {"k": NODES[2][0], "m": NODES[2][1], "l": node_hash(NODES[1][2], NODES[0][6])}


def named(names):
    return [PICTURE[name] for name in names.split()]


# (index, size, proof) from verify_test.go's inclusionProofs (its leaf numbers minus 1)
INCLUSION_PROOFS = [
    (0, 1, []),
    (0, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (5, 8, [NODES[0][4], NODES[1][3], NODES[2][0]]),
    (2, 3, [NODES[1][0]]),
    (1, 5, [NODES[0][0], NODES[1][1], NODES[0][4]]),
]
# (old size, new size, proof) from verify_test.go's consistencyProofs
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (1, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (6, 8, [NODES[1][2], NODES[1][3], NODES[2][0]]),
    (2, 5, [NODES[1][1], NODES[0][4]]),
    (6, 7, [NODES[1][2], NODES[0][6], NODES[2][0]]),
]
# proof_test.go's TestInclusion and TestConsistency, in the node names of its pictures
INCLUSION_NODES = [
    (0, 2, "b"), (1, 2, "a"), (1, 3, "a c"),
    (0, 7, "b h l"), (1, 7, "a h l"), (2, 7, "d g l"), (3, 7, "c g l"),
    (4, 7, "f j k"), (5, 7, "e j k"), (6, 7, "i k"),
    (2, 4, "d g"), (3, 5, "c g e"), (3, 6, "c g i"), (4, 6, "f k"),
]  # fmt: skip
CONSISTENCY_NODES = [
    (1, 2, "b"), (1, 4, "b h"), (1, 6, "b h i"), (2, 3, "c"), (2, 8, "h m"),
    (3, 7, "c d g l"), (4, 7, "l"), (5, 7, "e f j k"), (6, 7, "i j k"), (7, 8, "j x i k"),
    (2, 4, "h"), (3, 5, "c d g e"), (3, 6, "c d g i"), (4, 6, "i"), (1, 7, "b h l"),
]  # fmt: skip
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def flip(value, bit=3):
    return bytes([value[0] ^ (1 << bit), *value[1:]])


def test_leaf_and_node_hashes_carry_the_rfc_6962_prefixes():
    assert [leaf_hash(x) for x in INPUTS] == NODES[0]
    assert node_hash(NODES[0][0], NODES[0][1]) == NODES[1][0]
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_every_prefix_matches_the_reference(size):
    assert root(LEAVES[:size]) == ROOTS[size]


def test_a_frontier_knows_the_root_at_every_size_without_the_leaves():
    frontier = Frontier()
    assert (frontier.size, frontier.root()) == (0, EMPTY_ROOT)
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.digest() == Digest(size, ROOTS[size])
    assert Frontier(LEAVES[:5]).root() == ROOTS[5]


def test_a_frontier_refuses_a_leaf_hash_of_the_wrong_length():
    with pytest.raises(ProofError, match="leaf hash is 3 bytes; expected a 32-byte SHA-256"):
        Frontier().append(b"abc")


@pytest.mark.parametrize(
    ("index", "size", "proof"),
    INCLUSION_PROOFS + [(i, n, named(names)) for i, n, names in INCLUSION_NODES],
)
def test_inclusion_proofs_match_the_reference_and_verify(index, size, proof):
    assert inclusion_proof(index, LEAVES[:size]) == proof
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(
    ("old", "new", "proof"),
    CONSISTENCY_PROOFS + [(m, n, named(names)) for m, n, names in CONSISTENCY_NODES],
)
def test_consistency_proofs_match_the_reference_and_verify(old, new, proof):
    assert consistency_proof(old, LEAVES[:new]) == proof
    verify_consistency(old, ROOTS[old], new, ROOTS[new], proof)


def inclusion_tamperings(index, size, proof, leaf, good_root):
    """verify_test.go's corruptInclusionProof, as (what, arguments) pairs."""
    cases = [
        ("index - 1", (leaf, index - 1, size, proof, good_root)),
        ("index + 1", (leaf, index + 1, size, proof, good_root)),
        ("index ^ 2", (leaf, index ^ 2, size, proof, good_root)),
        ("size * 2", (leaf, index, size * 2, proof, good_root)),
        ("size // 2", (leaf, index, size // 2, proof, good_root)),
        ("wrong leaf", (leaf_hash(b"WrongLeaf"), index, size, proof, good_root)),
        ("empty root", (leaf, index, size, proof, EMPTY_ROOT)),
        ("random root", (leaf, index, size, proof, SOME_HASH)),
        ("trailing garbage", (leaf, index, size, [*proof, b""], good_root)),
        ("trailing root", (leaf, index, size, [*proof, good_root], good_root)),
        ("preceding garbage", (leaf, index, size, [b"", *proof], good_root)),
        ("preceding root", (leaf, index, size, [good_root, *proof], good_root)),
    ]
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i]), *proof[i + 1 :]]
        cases.append((f"proof[{i}] bit 3", (leaf, index, size, bad, good_root)))
    if proof:
        cases.append(("removed component", (leaf, index, size, proof[:-1], good_root)))
    if len(proof) > 1:
        bad = [proof[0], SOME_HASH, *proof[1:]]
        cases.append(("inserted component", (leaf, index, size, bad, good_root)))
    return cases


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS[1:])
def test_every_tampered_inclusion_proof_is_refused(index, size, proof):
    for what, args in inclusion_tamperings(index, size, proof, LEAVES[index], ROOTS[size]):
        with pytest.raises(ProofError):
            verify_inclusion(*args)
            pytest.fail(f"accepted {what}")


def consistency_tamperings(old, new, proof):
    r1, r2 = ROOTS[old], ROOTS[new]
    cases = [
        ("old - 1", (old - 1, r1, new, r2, proof)),
        ("old + 1", (old + 1, r1, new, r2, proof)),
        ("old ^ 2", (old ^ 2, r1, new, r2, proof)),
        ("new * 2", (old, r1, new * 2, r2, proof)),
        ("new // 2", (old, r1, new // 2, r2, proof)),
        ("wrong old root", (old, SOME_HASH, new, r2, proof)),
        ("wrong new root", (old, r1, new, SOME_HASH, proof)),
        ("swapped roots", (old, r2, new, r1, proof)),
        ("empty proof", (old, r1, new, r2, [])),
        ("trailing garbage", (old, r1, new, r2, [*proof, b""])),
        ("trailing old root", (old, r1, new, r2, [*proof, r1])),
        ("trailing new root", (old, r1, new, r2, [*proof, r2])),
        ("preceding garbage", (old, r1, new, r2, [b"", *proof])),
        ("preceding old root", (old, r1, new, r2, [r1, *proof])),
        ("preceding new root", (old, r1, new, r2, [r2, *proof])),
        ("preceding proof[0]", (old, r1, new, r2, [proof[0], *proof])),
        ("truncated", (old, r1, new, r2, proof[:-1])),
    ]
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], 4), *proof[i + 1 :]]
        cases.append((f"proof[{i}] bit 4", (old, r1, new, r2, bad)))
    return cases


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS[1:])
def test_every_tampered_consistency_proof_is_refused(old, new, proof):
    for what, args in consistency_tamperings(old, new, proof):
        with pytest.raises(ProofError):
            verify_consistency(*args)
            pytest.fail(f"accepted {what}")


def test_a_tree_of_one_leaf_proves_it_with_an_empty_path():
    verify_inclusion(LEAVES[3], 0, 1, [], LEAVES[3])
    with pytest.raises(ProofError, match="leads to root"):
        verify_inclusion(LEAVES[3], 0, 1, [], LEAVES[4])
    with pytest.raises(ProofError, match="root is 0 bytes"):
        verify_inclusion(LEAVES[3], 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 3), (8, 8)])
def test_an_index_outside_the_tree_is_refused(index, size):
    with pytest.raises(ProofError, match=f"leaf index {index} is not in a tree of size {size}"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    with pytest.raises(ValueError, match=f"leaf index {index} is not in a tree of size"):
        inclusion_proof(index, LEAVES[:size])


def test_proofs_too_long_or_too_short_say_so():
    proof = INCLUSION_PROOFS[1][2]
    with pytest.raises(ProofError, match="inclusion proof too long for leaf 0 of size 8"):
        verify_inclusion(LEAVES[0], 0, 8, [*proof, SOME_HASH], ROOTS[8])
    with pytest.raises(ProofError, match="inclusion proof too short for leaf 0 of size 8"):
        verify_inclusion(LEAVES[0], 0, 8, proof[:-1], ROOTS[8])
    proof = CONSISTENCY_PROOFS[1][2]
    with pytest.raises(ProofError, match="consistency proof too long from size 1 to 8"):
        verify_consistency(1, ROOTS[1], 8, ROOTS[8], [*proof, SOME_HASH])
    with pytest.raises(ProofError, match="consistency proof too short from size 1 to 8"):
        verify_consistency(1, ROOTS[1], 8, ROOTS[8], proof[:-1])
    with pytest.raises(ProofError, match="consistency proof from size 1 to 8 is empty"):
        verify_consistency(1, ROOTS[1], 8, ROOTS[8], [])


def test_a_consistency_proof_names_the_root_it_failed_to_reach():
    proof = CONSISTENCY_PROOFS[2][2]
    with pytest.raises(ProofError, match=f"leads to old root {ROOTS[6].hex()} of size 6, not"):
        verify_consistency(6, SOME_HASH, 8, ROOTS[8], proof)
    with pytest.raises(ProofError, match=f"leads to new root {ROOTS[8].hex()} of size 8, not"):
        verify_consistency(6, ROOTS[6], 8, SOME_HASH, proof)


@pytest.mark.parametrize("size", range(9))
def test_equal_sizes_are_consistent_with_an_empty_proof_and_equal_roots(size):
    assert consistency_proof(size, LEAVES[:size]) == []
    verify_consistency(size, ROOTS[size], size, ROOTS[size], [])
    with pytest.raises(ProofError, match="roots differ at the same size"):
        verify_consistency(size, ROOTS[size], size, SOME_HASH, [])
    with pytest.raises(ProofError, match="must be empty, not 1 hashes"):
        verify_consistency(size, ROOTS[size], size, ROOTS[size], [ROOTS[size]])


@pytest.mark.parametrize("size", range(9))
def test_every_tree_extends_the_empty_tree_and_nothing_else_of_size_zero(size):
    assert consistency_proof(0, LEAVES[:size]) == []
    verify_consistency(0, EMPTY_ROOT, size, ROOTS[size], [])
    with pytest.raises(ProofError, match="of size 0 is not the empty tree's root"):
        verify_consistency(0, SOME_HASH, size, ROOTS[size], [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(0, EMPTY_ROOT, size, ROOTS[size], [EMPTY_ROOT])


@pytest.mark.parametrize(("old", "new"), [(1, 0), (2, 1), (9, 8), (-1, 3)])
def test_a_log_that_shrank_is_refused(old, new):
    with pytest.raises(ProofError, match=f"old size {old} is not between 0 and the new size"):
        verify_consistency(old, EMPTY_ROOT, new, EMPTY_ROOT, [])
    if new >= 0:
        with pytest.raises(ValueError, match=f"old size {old} is not between 0 and the tree"):
            consistency_proof(old, LEAVES[:new])


def test_a_proof_hash_of_the_wrong_length_is_named():
    with pytest.raises(ProofError, match="proof hash 1 is 31 bytes"):
        verify_consistency(1, ROOTS[1], 8, ROOTS[8], [NODES[0][1], SOME_HASH[1:]])
    with pytest.raises(ProofError, match="old root is 4 bytes"):
        verify_consistency(1, b"root", 8, ROOTS[8], [])


def test_a_digest_reads_and_writes_size_colon_lowercase_hex():
    digest = Digest(8, ROOTS[8])
    text = "8:5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert str(digest) == text
    assert Digest.parse(text) == digest
    assert str(Digest.parse(f"0:{EMPTY_ROOT.hex()}")) == f"0:{EMPTY_ROOT.hex()}"
    assert Digest.parse(f"12345678901:{'0' * 64}").size == 12345678901


@pytest.mark.parametrize(
    "text",
    [
        "",
        "8",
        "8:",
        ":" + "a" * 64,
        "-8:" + "a" * 64,
        "08:" + "a" * 64,
        "+8:" + "a" * 64,
        "8:" + "A" * 64,
        "8:" + "a" * 63,
        "8:" + "a" * 65,
        "8:" + "g" * 64,
        "8:" + "a" * 64 + "\n",
        " 8:" + "a" * 64,
        "8 :" + "a" * 64,
        "1_0:" + "a" * 64,
        "\u0668:" + "a" * 64,  # an Arabic-Indic eight: a digit to str.isdigit, not here
        "8;" + "a" * 64,
    ],
)
def test_a_malformed_digest_is_refused_naming_the_text_and_the_form(text):
    with pytest.raises(ValueError, match="expected SIZE:ROOTHEX") as refused:
        Digest.parse(text)
    assert repr(text) in str(refused.value)


def test_a_digest_holds_a_size_and_a_32_byte_root():
    with pytest.raises(ValueError, match="digest size -1 is negative"):
        Digest(-1, EMPTY_ROOT)
    with pytest.raises(ValueError, match="digest root is 31 bytes; expected 32"):
        Digest(1, EMPTY_ROOT[1:])


def test_the_verifier_imports_nothing_but_the_standard_library():
    source = Path(sla_ledger.merkle.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            imported.add(node.module.split(".")[0])
    assert imported
    assert imported - {"__future__"} <= sys.stdlib_module_names
