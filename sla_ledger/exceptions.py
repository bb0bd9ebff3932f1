"""Errors raised by sla-ledger.

Every error is an ``SlaLedgerError``; each leaf also subclasses the built-in
exception a caller would expect, so ``except ValueError`` keeps working::

    SlaLedgerError
    ├── InvalidEvidence (ValueError)       probes, incidents, maintenance, corrections
    ├── InvalidTerms (ValueError)          services, contracts, credit schedules
    ├── UnknownReference (LookupError)     a service, target, location, contract ...
    ├── ProbeConflict (ValueError)         same probe id, different content
    ├── ImportFailed (ValueError)          a malformed interchange line
    ├── ResidencyViolation (ValueError)    a record or a store of another region
    ├── BackupRefused (ValueError)         a backup or restore that cannot be done as asked
    ├── InvalidProof (ValueError)          a log digest or proof is malformed or fails
    └── StoreError (RuntimeError)          the store could not be opened or written
"""

from __future__ import annotations


class SlaLedgerError(Exception):
    """Base class of every error raised by sla-ledger."""


class InvalidEvidence(SlaLedgerError, ValueError):
    """Evidence (a probe, incident, announcement or correction) is malformed."""


class InvalidTerms(SlaLedgerError, ValueError):
    """A service or contract definition is malformed."""


class UnknownReference(SlaLedgerError, LookupError):
    """A name refers to nothing the ledger knows."""


class ProbeConflict(SlaLedgerError, ValueError):
    """A probe id was recorded before with different content."""


class ImportFailed(SlaLedgerError, ValueError):
    """An interchange file could not be imported; nothing was written."""


class ResidencyViolation(SlaLedgerError, ValueError):
    """A record is for another region than the ledger's, or the ledger is bound elsewhere."""


class BackupRefused(SlaLedgerError, ValueError):
    """A backup cannot be written or restored as asked; nothing was changed."""


class InvalidProof(SlaLedgerError, ValueError):
    """A log digest or a Merkle proof is malformed, or does not verify."""


class StoreError(SlaLedgerError, RuntimeError):
    """The event store could not be opened or written."""
