"""Errors raised by sla-ledger.

Every error is an ``SlaLedgerError``; each leaf also subclasses the built-in
exception a caller would expect, so ``except ValueError`` keeps working::

    SlaLedgerError
    ├── InvalidArgument (TypeError,        an argument of the Python API of the wrong type,
    │   ValueError)                        or out of range
    ├── InvalidEvidence (ValueError)       probes, incidents, maintenance, corrections
    ├── InvalidTerms (ValueError)          services, contracts, credit schedules
    ├── UnknownReference (LookupError)     a service, target, location, contract ...
    ├── ProbeConflict (ValueError)         same probe id, different content
    ├── ImportFailed (ValueError)          a malformed interchange line or monitoring file
    │   └── RowsRejected                   a strict import found rows it cannot record
    ├── InvalidConfig (ValueError)         an importer's mapping file or CSV options
    ├── ResidencyViolation (ValueError)    a record or a store of another region
    ├── BackupRefused (ValueError)         a backup or restore that cannot be done as asked
    ├── InvalidProof (ValueError)          a log digest or proof is malformed or fails
    └── StoreError (RuntimeError)          the store could not be opened or written
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sla_ledger.importers.report import ImportReport


class SlaLedgerError(Exception):
    """Base class of every error raised by sla-ledger."""


class InvalidArgument(SlaLedgerError, TypeError, ValueError):
    """An argument of a ``SlaLedger`` method is of the wrong type (a list for an id ...),
    or out of the range it may take."""


class InvalidEvidence(SlaLedgerError, ValueError):
    """Evidence (a probe, incident, announcement or correction) is malformed."""


class InvalidTerms(SlaLedgerError, ValueError):
    """A service or contract definition is malformed."""


class UnknownReference(SlaLedgerError, LookupError):
    """A name refers to nothing the ledger knows."""


class ProbeConflict(SlaLedgerError, ValueError):
    """A probe id was recorded before with different content."""


class ImportFailed(SlaLedgerError, ValueError):
    """A file could not be imported. For an interchange file nothing was written; for a
    monitoring file the message says how many probes were recorded before the fault."""


class RowsRejected(ImportFailed):
    """A strict import found rows it cannot record, so it recorded nothing.

    ``report`` lists them (``sla_ledger.importers.ImportReport``).
    """

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


class InvalidConfig(SlaLedgerError, ValueError):
    """An importer's configuration (a Prometheus mapping file, CSV options) is malformed."""


class ResidencyViolation(SlaLedgerError, ValueError):
    """A record is for another region than the ledger's, or the ledger is bound elsewhere."""


class BackupRefused(SlaLedgerError, ValueError):
    """A backup cannot be written or restored as asked; nothing was changed."""


class InvalidProof(SlaLedgerError, ValueError):
    """A log digest or a Merkle proof is malformed, or does not verify."""


class StoreError(SlaLedgerError, RuntimeError):
    """The event store could not be opened or written."""
