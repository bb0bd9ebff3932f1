"""A Merkle tree over a log, as in RFC 6962 / RFC 9162 section 2.1, with SHA-256.

Standalone on purpose: it imports only the standard library, so an auditor can
copy this file, or re-implement it from docs/log-digest.md, and check a ledger's
digests and proofs without trusting the ledger's code.

Leaf i is ``leaf_hash(data_i)``; the root of n leaves is ``root(leaf_hashes)``.
Proofs are lists of 32-byte hashes, in the order of RFC 9162 (deepest first).
A proof binds a leaf or an old tree to a root, not to a tree size: take the size
and the root from the same trusted digest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Self

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_DIGEST_TEXT = re.compile(r"(0|[1-9][0-9]*):([0-9a-f]{64})")


class ProofError(ValueError):
    """A proof, hash or size does not verify; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an inner node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the root of a tree over the given leaf hashes, in order."""
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` in the tree of all ``leaf_hashes``."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return [_subtree_root(leaf_hashes, a, b) for a, b in reversed(ranges)]


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): proves the tree of the first ``old_size`` leaves is a prefix of this one.

    Empty when ``old_size`` is 0 or the full size: nothing needs proving then.
    """
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} is not between 0 and the tree size {size}")
    if old_size in (0, size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, whole = 0, size, True
    while old_size != hi:
        k = _split(hi - lo)
        if old_size <= lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        ranges.append((lo, hi))
    return [_subtree_root(leaf_hashes, a, b) for a, b in reversed(ranges)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree ``(size, expected_root)``.

    Raises:
        ProofError: saying which check failed.
    """
    _check_hash("leaf hash", leaf)
    _check_hash("root", expected_root)
    _check_proof(proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    r = _root_from_inclusion(leaf, index, size, proof)
    if r != expected_root:
        raise ProofError(
            f"inclusion proof for leaf {index} of size {size} leads to root {r.hex()},"
            f" not {expected_root.hex()}"
        )


def verify_consistency(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(new_size, new_root)`` extends the tree ``(old_size, old_root)``.

    Raises:
        ProofError: saying which check failed.
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_proof(proof)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old size {old_size} is not between 0 and the new size {new_size}")
    if old_size in (0, new_size):
        _verify_trivial_consistency(old_size, old_root, new_size, new_root, proof)
        return
    if not proof:
        raise ProofError(f"consistency proof from size {old_size} to {new_size} is empty")
    fr, sr = _roots_from_consistency(old_size, old_root, new_size, proof)
    for name, size, computed, expected in (
        ("old", old_size, fr, old_root),
        ("new", new_size, sr, new_root),
    ):
        if computed != expected:
            raise ProofError(
                f"consistency proof leads to {name} root {computed.hex()} of size {size},"
                f" not {expected.hex()}"
            )


@dataclass(frozen=True)
class Digest:
    """The size and root of a log's tree; its text form is ``SIZE:ROOTHEX``."""

    size: int
    root: bytes

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"digest size {self.size} is negative; expected 0 or more")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"digest root is {len(self.root)} bytes; expected {HASH_SIZE}")

    def __str__(self) -> str:
        return f"{self.size}:{self.root.hex()}"

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read ``SIZE:ROOTHEX``: a decimal size, a colon, 64 lowercase hex digits."""
        match = _DIGEST_TEXT.fullmatch(text)
        if match is None:
            raise ValueError(
                f"digest {text!r} is malformed; expected SIZE:ROOTHEX, a decimal tree size,"
                " a colon and 64 lowercase hex digits"
            )
        return cls(int(match[1]), bytes.fromhex(match[2]))


class Frontier:
    """The roots of the perfect subtrees of a growing log: its root in O(log n) memory."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._size = 0
        self._nodes: list[bytes] = []  # largest subtree first
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        _check_hash("leaf hash", leaf)
        self._nodes.append(leaf)
        size = self._size
        while size & 1:  # each trailing one bit of the old size is a subtree to merge
            right = self._nodes.pop()
            self._nodes[-1] = node_hash(self._nodes[-1], right)
            size >>= 1
        self._size += 1

    def root(self) -> bytes:
        """The root of the tree of every leaf appended so far."""
        if not self._nodes:
            return EMPTY_ROOT
        r = self._nodes[-1]
        for node in reversed(self._nodes[:-1]):
            r = node_hash(node, r)
        return r

    def digest(self) -> Digest:
        return Digest(self._size, self.root())


def _split(n: int) -> int:
    """The largest power of two strictly below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    # Pairing level by level and carrying an odd last node up unchanged builds
    # the same tree as MTH's split at the largest power of two, without recursion.
    level = list(leaf_hashes[lo:hi])
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = [*paired, level[-1]] if len(level) & 1 else paired
    return level[0]


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    # RFC 9162 section 2.1.3.2, steps 2 to 5 (but the comparison with the root)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof too long for leaf {index} of size {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"inclusion proof too short for leaf {index} of size {size}")
    return r


def _roots_from_consistency(
    old_size: int, old_root: bytes, new_size: int, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    # RFC 9162 section 2.1.4.2, steps 2 to 7 (but the comparisons with the roots)
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long from size {old_size} to {new_size}")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"consistency proof too short from size {old_size} to {new_size}")
    return fr, sr


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _verify_trivial_consistency(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: Sequence[bytes]
) -> None:
    if proof:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} must be empty,"
            f" not {len(proof)} hashes"
        )
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise ProofError(f"old root {old_root.hex()} of size 0 is not the empty tree's root")
    if old_size == new_size and old_root != new_root:
        raise ProofError(
            f"roots differ at the same size {old_size}: {old_root.hex()} and {new_root.hex()}"
        )


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes; expected a {HASH_SIZE}-byte SHA-256")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)
