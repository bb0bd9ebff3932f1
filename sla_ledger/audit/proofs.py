"""Inclusion and consistency proofs over the log digest, as JSON a customer can check alone.

A proof carries everything needed to check it with ``sla_ledger.merkle`` (or
any implementation of docs/log-digest.md): the event's interchange line and
its index for inclusion, the two tree sizes for consistency, and the hashes.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, cast

from pydantic import BaseModel, ConfigDict, Field

from sla_ledger.adapters.jsonl import interchange_line
from sla_ledger.adapters.log_leaves import LeafStore, recorded_leaves
from sla_ledger.domain import events as ev
from sla_ledger.domain.statement import LogDigest
from sla_ledger.exceptions import InvalidArgument, InvalidProof, StoreError, UnknownReference
from sla_ledger.merkle import (
    Digest,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

if TYPE_CHECKING:
    from uuid import UUID

    from sla_ledger.application import SlaLedger

Hex = str


class InclusionProof(BaseModel):
    """Proves that the event ``line`` is leaf ``index`` of the log whose digest is ``size:root``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str = Field(default="inclusion", pattern="^inclusion$")
    position: int
    index: int
    size: int
    root: Hex
    line: str
    leaf: Hex
    path: tuple[Hex, ...]

    def digest(self) -> LogDigest:
        return LogDigest(size=self.size, root=self.root)


class ConsistencyProof(BaseModel):
    """Proves that the log of digest ``new_size:new_root`` extends that of ``old_size:old_root``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str = Field(default="consistency", pattern="^consistency$")
    old_size: int
    old_root: Hex
    new_size: int
    new_root: Hex
    path: tuple[Hex, ...]


def prove_inclusion(
    ledger: SlaLedger,
    position: int | None = None,
    event: tuple[UUID, int] | None = None,
    size: int | None = None,
) -> InclusionProof:
    """The inclusion proof of the event at ``position`` (or ``event``: its stream id and version)
    in the log of ``size`` events (default: the whole log)."""
    positions, leaves = _recorded(ledger, size)
    if event is not None:
        position = cast(LeafStore, ledger.recorder).position_of(*event)
        if position is None:
            raise UnknownReference(f"no event {event[0]} version {event[1]} in the ledger")
    if position is None:
        raise InvalidArgument("prove(): give a position or an event")
    index = bisect_left(positions, position)
    if index == len(positions) or positions[index] != position:
        raise UnknownReference(
            f"no event at log position {position} among the first {len(positions)} events"
        )
    line = _line_at(ledger, position)
    if leaf_hash(line.encode()) != leaves[index]:
        raise StoreError(
            f"the event at log position {position} no longer hashes to the leaf recorded "
            "with it: run 'sla-ledger verify'"
        )
    return InclusionProof(
        position=position,
        index=index,
        size=len(leaves),
        root=root(leaves).hex(),
        line=line,
        leaf=leaves[index].hex(),
        path=tuple(h.hex() for h in inclusion_proof(index, leaves)),
    )


def prove_consistency(
    ledger: SlaLedger, old_size: int, size: int | None = None
) -> ConsistencyProof:
    """The proof that the log of ``size`` events (default: all) extends its first ``old_size``."""
    _, leaves = _recorded(ledger, size)
    if not 0 <= old_size <= len(leaves):
        raise InvalidProof(f"old size {old_size} is not between 0 and the log's size {len(leaves)}")
    return ConsistencyProof(
        old_size=old_size,
        old_root=root(leaves[:old_size]).hex(),
        new_size=len(leaves),
        new_root=root(leaves).hex(),
        path=tuple(h.hex() for h in consistency_proof(old_size, leaves)),
    )


def check_proof(proof: InclusionProof | ConsistencyProof, digest: LogDigest | None = None) -> None:
    """Check a proof with nothing but the Merkle algorithm; ``InvalidProof`` says what failed.

    Args:
        digest: a digest you trust (saved earlier, or printed on a statement); the proof
            must end at it. Default: check the proof against its own root only.
    """
    size, top = (
        (proof.size, proof.root)
        if isinstance(proof, InclusionProof)
        else (proof.new_size, proof.new_root)
    )
    if digest is not None and (digest.size, digest.root) != (size, top):
        raise InvalidProof(f"the proof ends at {size}:{top}, not at the trusted digest {digest}")
    try:
        path = [bytes.fromhex(h) for h in proof.path]
        if isinstance(proof, InclusionProof):
            if leaf_hash(proof.line.encode()) != bytes.fromhex(proof.leaf):
                raise ProofError("the line does not hash to the proof's leaf")
            verify_inclusion(
                bytes.fromhex(proof.leaf), proof.index, proof.size, path, bytes.fromhex(proof.root)
            )
        else:
            verify_consistency(
                proof.old_size,
                bytes.fromhex(proof.old_root),
                proof.new_size,
                bytes.fromhex(proof.new_root),
                path,
            )
    except (ProofError, ValueError) as error:
        raise InvalidProof(f"the {proof.kind} proof does not verify: {error}") from None


def parse_digest(text: str) -> LogDigest:
    """A digest from its text form ``SIZE:ROOT`` (``InvalidProof`` when malformed)."""
    try:
        digest = Digest.parse(text)
    except ValueError as error:
        raise InvalidProof(str(error)) from None
    return LogDigest(size=digest.size, root=digest.root.hex())


def _recorded(ledger: SlaLedger, size: int | None) -> tuple[list[int], list[bytes]]:
    """Positions and leaves of the first ``size`` events (default all), as recorded."""
    state = ledger.catch_up()
    assert state.digest is not None
    rows = list(recorded_leaves(cast(LeafStore, ledger.recorder), state.position))
    if len(rows) != state.digest.size:
        raise StoreError(
            f"the store holds {len(rows)} leaves for {state.digest.size} events: "
            "run 'sla-ledger verify' to find what was changed"
        )
    if size is not None and not 0 <= size <= len(rows):
        raise InvalidProof(f"size {size} is not between 0 and the log's size {len(rows)}")
    rows = rows[:size] if size is not None else rows
    return [p for p, _ in rows], [leaf for _, leaf in rows]


def _line_at(ledger: SlaLedger, position: int) -> str:
    (notification,) = ledger.recorder.select_notifications(start=position, limit=1)
    return interchange_line(cast(ev.DomainEvent, ledger.mapper.to_domain_event(notification)))
