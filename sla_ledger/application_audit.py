"""The audit side of ``SlaLedger``: the log digest, proofs, verification, explanations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from sla_ledger.arguments import checked
from sla_ledger.audit import explain, history, proofs
from sla_ledger.audit import verify as verifying
from sla_ledger.audit.proofs import ConsistencyProof, InclusionProof
from sla_ledger.audit.verify import VerifyReport
from sla_ledger.domain.comparison import StatementDiff
from sla_ledger.domain.explanation import Explanation
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.statement import LogDigest

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger


class AuditQueries:
    """Methods of ``SlaLedger`` for auditors: what the log is, and what follows from it."""

    # What they use of SlaLedger, which mixes them in.
    catch_up: Callable[[], LedgerState]

    @property
    def _ledger(self) -> SlaLedger:
        return cast("SlaLedger", self)

    def digest(self) -> LogDigest:
        """The log digest: the size and Merkle root (RFC 6962) of the whole log."""
        digest = self.catch_up().digest
        assert digest is not None  # set by every catch-up
        return digest

    @checked
    def verify(
        self,
        saved: LogDigest | str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Replay the whole log into a fresh computation and check every leaf, statement
        and credit; see ``sla_ledger.audit.verify``.

        Args:
            saved: a digest saved earlier (``SIZE:ROOT``): the log must extend it.
            on_progress: called now and then with the number of events replayed.
        """
        digest = proofs.parse_digest(saved) if isinstance(saved, str) else saved
        return verifying.verify(self._ledger, digest, on_progress)

    @checked
    def prove(
        self,
        position: int | None = None,
        *,
        event: tuple[UUID, int] | None = None,
        size: int | None = None,
    ) -> InclusionProof:
        """The inclusion proof of the event at a log position (or of ``event``, its stream
        id and version) in the log of ``size`` events (default: all)."""
        return proofs.prove_inclusion(self._ledger, position, event, size)

    @checked
    def prove_consistency(self, old_size: int, size: int | None = None) -> ConsistencyProof:
        """The proof that the log of ``size`` events (default: all) extends its first
        ``old_size`` events, e.g. those of a digest saved earlier."""
        return proofs.prove_consistency(self._ledger, old_size, size)

    @checked
    def explain(
        self, contract_id: str, line_id: str, month: str, as_known_at: datetime | None = None
    ) -> Explanation:
        """The full derivation of a statement: each down and unknown interval with the
        evidence that opened and closed it, maintenance decisions and the arithmetic.

        Explains the issued version (the latest, or the one current at ``as_known_at``)
        by replaying the log it was computed from and checking it reproduces; a month
        not issued yet is explained as computed now. See ``sla_ledger.audit.explain``.
        """
        return explain.explain(self._ledger, contract_id, line_id, month, as_known_at)

    @checked
    def statement_diff(
        self,
        contract_id: str,
        line_id: str,
        month: str,
        before: datetime,
        after: datetime | None = None,
        issued: bool = False,
    ) -> StatementDiff:
        """How a line's month looked as known at ``before`` and at ``after`` (default now),
        and the evidence recorded in between that bears on it (R14).

        Args:
            issued: compare the issued versions current then, not the figures computed
                from what was known then.
        """
        return history.statement_diff(
            self._ledger, contract_id, line_id, month, before, after, issued
        )
