"""sla_ledger.merkle against the literal definitions of RFC 6962 section 2.1.

The model below is those definitions transcribed: recursive, slicing, hashing
the same subtrees again and again. It shares no code with the module.
"""

import hashlib

from hypothesis import event, given
from hypothesis import strategies as st

from sla_ledger.merkle import (
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def split(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = split(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m, d):
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m, d, b):
    if m == len(d):
        return [] if b else [mth(d)]
    k = split(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def path_shape(m, n):
    """Which side each hash of PATH(m, D[n]) joins on, deepest first."""
    if n == 1:
        return []
    k = split(n)
    return [*path_shape(m, k), "right"] if m < k else [*path_shape(m - k, n - k), "left"]


def subproof_shape(m, n, b):
    """The same for SUBPROOF(m, D[n], b): where each of its hashes sits."""
    if m == n:
        return [] if b else ["start"]
    k = split(n)
    if m <= k:
        return [*subproof_shape(m, k, b), "right"]
    return [*subproof_shape(m - k, n - k, False), "left"]


def flipped(value, bit):
    return value[: bit // 8] + bytes([value[bit // 8] ^ (1 << bit % 8)]) + value[bit // 8 + 1 :]


def fails(check, *args):
    try:
        check(*args)
    except ProofError:
        return True
    return False


def leaf_data(min_size=0, unique=False):
    # Sizes drawn uniformly, so trees above a power of two or two are as common as tiny ones.
    sizes = st.integers(min_size, 100)
    return sizes.flatmap(
        lambda n: st.lists(st.binary(max_size=6), min_size=n, max_size=n, unique=unique)
    )


bits = st.integers(0, 255)


@given(leaf_data())
def test_the_root_and_the_frontier_equal_mth_at_every_size(data):
    hashes = [leaf_hash(x) for x in data]
    frontier = Frontier()
    assert frontier.root() == mth([])
    for size in range(1, len(data) + 1):
        frontier.append(hashes[size - 1])
        assert root(hashes[:size]) == frontier.root() == mth(data[:size])
        assert frontier.size == size


@given(leaf_data(1))
def test_every_inclusion_proof_is_path_and_verifies(data):
    hashes, tree_root = [leaf_hash(x) for x in data], mth(data)
    for index in range(len(data)):
        proof = inclusion_proof(index, hashes)
        assert proof == path(index, data)
        verify_inclusion(hashes[index], index, len(data), proof, tree_root)


@given(leaf_data())
def test_every_consistency_proof_is_proof_and_verifies(data):
    hashes, new_root = [leaf_hash(x) for x in data], mth(data)
    for old in range(len(data) + 1):
        proof = consistency_proof(old, hashes)
        assert proof == (subproof(old, data, True) if 0 < old < len(data) else [])
        verify_consistency(old, mth(data[:old]), len(data), new_root, proof)


@given(leaf_data(1), st.data(), bits)
def test_one_flipped_bit_in_an_inclusion_proof_root_or_leaf_is_caught(data, draw, bit):
    index = draw.draw(st.integers(0, len(data) - 1), label="index")
    size, leaf, good_root = len(data), leaf_hash(data[index]), mth(data)
    proof = path(index, data)
    assert fails(verify_inclusion, leaf, index, size, proof, flipped(good_root, bit))
    assert fails(verify_inclusion, flipped(leaf, bit), index, size, proof, good_root)
    for i in range(len(proof)):
        bad = [*proof[:i], flipped(proof[i], bit), *proof[i + 1 :]]
        assert fails(verify_inclusion, leaf, index, size, bad, good_root)


@given(leaf_data(1), st.data(), bits)
def test_one_flipped_bit_in_a_consistency_proof_or_root_is_caught(data, draw, bit):
    # From size 0 the new root is bound to nothing: every tree extends the empty one.
    old = draw.draw(st.integers(1, len(data)), label="old size")
    new = len(data)
    old_root, new_root = mth(data[:old]), mth(data)
    proof = subproof(old, data, True) if old < new else []
    assert fails(verify_consistency, old, flipped(old_root, bit), new, new_root, proof)
    assert fails(verify_consistency, old, old_root, new, flipped(new_root, bit), proof)
    for i in range(len(proof)):
        bad = [*proof[:i], flipped(proof[i], bit), *proof[i + 1 :]]
        assert fails(verify_consistency, old, old_root, new, new_root, bad)
    assert fails(verify_consistency, 0, flipped(mth([]), bit), new, new_root, [])


@given(leaf_data(1, unique=True), st.data())
def test_an_inclusion_proof_for_another_index_is_caught(data, draw):
    # Where two leaves hold the same data, one proof can honestly prove it at either place.
    index = draw.draw(st.integers(0, len(data) - 1), label="index")
    other = draw.draw(st.integers(-2, len(data) + 2).filter(lambda i: i != index), label="other")
    proof, leaf = path(index, data), leaf_hash(data[index])
    assert fails(verify_inclusion, leaf, other, len(data), proof, mth(data))


@given(leaf_data(1, unique=True), st.data())
def test_a_wrong_tree_size_is_caught_unless_it_gives_the_leaf_the_same_path(data, draw):
    # RFC 9162 binds the size to the root in the signed tree head, not in the proof:
    # a size whose path has the same shape still verifies, and still proves the leaf.
    size = len(data)
    index = draw.draw(st.integers(0, size - 1), label="index")
    other = draw.draw(st.integers(0, 2 * size + 2).filter(lambda n: n != size), label="size")
    proof, leaf = path(index, data), leaf_hash(data[index])
    same_shape = index < other and path_shape(index, other) == path_shape(index, size)
    event(f"same path shape: {same_shape}")
    assert fails(verify_inclusion, leaf, index, other, proof, mth(data)) is not same_shape


@given(leaf_data(2, unique=True), st.data())
def test_a_wrong_old_size_is_caught_and_a_wrong_new_size_unless_its_proof_has_the_same_shape(
    data, draw
):
    new = len(data)
    old = draw.draw(st.integers(1, new - 1), label="old size")
    old_root, new_root, proof = mth(data[:old]), mth(data), subproof(old, data, True)
    other_old = draw.draw(st.integers(0, new + 2).filter(lambda m: m != old), label="wrong old")
    assert fails(verify_consistency, other_old, old_root, new, new_root, proof)
    other_new = draw.draw(st.integers(0, 2 * new + 2).filter(lambda n: n != new), label="wrong new")
    same_shape = other_new > old and subproof_shape(old, other_new, True) == subproof_shape(
        old, new, True
    )
    event(f"same proof shape: {same_shape}")
    assert fails(verify_consistency, old, old_root, other_new, new_root, proof) is not same_shape
