"""sla-ledger: exact, event-sourced SLA statements and service credits.

Record services, contracts and evidence; close months; pay out credits::

    from sla_ledger import open_ledger
    ledger = open_ledger("sqlite:///sla-ledger.db")
"""

from sla_ledger.application import CreditEntry, SlaLedger, TransferAuthorisation
from sla_ledger.audit.proofs import ConsistencyProof, InclusionProof
from sla_ledger.audit.verify import Finding, VerifyReport
from sla_ledger.bootstrap import default_url, open_ledger
from sla_ledger.clock import Clock, ManualClock, SystemClock
from sla_ledger.domain.comparison import StatementDiff
from sla_ledger.domain.evidence import Probe
from sla_ledger.domain.explanation import Explanation
from sla_ledger.domain.statement import (
    AbsorbedFailure,
    EventRef,
    LogDigest,
    MaintenanceWindow,
    Outage,
    Statement,
)
from sla_ledger.domain.terms import Component, Contract, ContractLine, CreditTier, Instance, Service
from sla_ledger.exceptions import (
    BackupRefused,
    ImportFailed,
    InvalidConfig,
    InvalidEvidence,
    InvalidProof,
    InvalidTerms,
    ProbeConflict,
    ResidencyViolation,
    RowsRejected,
    SlaLedgerError,
    StoreError,
    UnknownReference,
)
from sla_ledger.ingestion import ProbeReceipt

__version__ = "0.1.0"

__all__ = [
    "AbsorbedFailure",
    "BackupRefused",
    "Clock",
    "Component",
    "ConsistencyProof",
    "Contract",
    "ContractLine",
    "CreditEntry",
    "CreditTier",
    "EventRef",
    "Explanation",
    "Finding",
    "ImportFailed",
    "InclusionProof",
    "Instance",
    "InvalidConfig",
    "InvalidEvidence",
    "InvalidProof",
    "InvalidTerms",
    "LogDigest",
    "MaintenanceWindow",
    "ManualClock",
    "Outage",
    "Probe",
    "ProbeConflict",
    "ProbeReceipt",
    "ResidencyViolation",
    "RowsRejected",
    "Service",
    "SlaLedger",
    "SlaLedgerError",
    "Statement",
    "StatementDiff",
    "StoreError",
    "SystemClock",
    "TransferAuthorisation",
    "UnknownReference",
    "VerifyReport",
    "default_url",
    "open_ledger",
]
