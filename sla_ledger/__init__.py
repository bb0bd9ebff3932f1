"""sla-ledger: exact, event-sourced SLA statements and service credits.

Record services, contracts and evidence; close months; pay out credits::

    from sla_ledger import open_ledger
    ledger = open_ledger("sqlite:///sla-ledger.db")
"""

from sla_ledger.application import ClosedMonths, CreditEntry, SlaLedger, TransferAuthorisation
from sla_ledger.audit.proofs import ConsistencyProof, InclusionProof
from sla_ledger.audit.verify import Finding, VerifyReport
from sla_ledger.bootstrap import default_url, open_ledger
from sla_ledger.clock import Clock, ManualClock, SystemClock
from sla_ledger.domain.business_hours import BusinessHours, OpeningHours
from sla_ledger.domain.comparison import StatementDiff
from sla_ledger.domain.evidence import Probe
from sla_ledger.domain.explanation import Explanation
from sla_ledger.domain.response_statement import (
    CaseSummary,
    CaseTarget,
    LineCredit,
    ResponseStatement,
)
from sla_ledger.domain.statement import (
    AbsorbedFailure,
    EventRef,
    ExclusionNote,
    LogDigest,
    MaintenanceWindow,
    Outage,
    Statement,
    TermsInForce,
)
from sla_ledger.domain.support_terms import ResponseTarget, SupportTier
from sla_ledger.domain.terms import Component, Contract, ContractLine, CreditTier, Instance, Service
from sla_ledger.domain.terms_hash import canonical_json, terms_hash
from sla_ledger.exceptions import (
    BackupRefused,
    ImportFailed,
    InvalidArgument,
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
    "BusinessHours",
    "CaseSummary",
    "CaseTarget",
    "Clock",
    "ClosedMonths",
    "Component",
    "ConsistencyProof",
    "Contract",
    "ContractLine",
    "CreditEntry",
    "CreditTier",
    "EventRef",
    "ExclusionNote",
    "Explanation",
    "Finding",
    "ImportFailed",
    "InclusionProof",
    "Instance",
    "InvalidArgument",
    "InvalidConfig",
    "InvalidEvidence",
    "InvalidProof",
    "InvalidTerms",
    "LineCredit",
    "LogDigest",
    "MaintenanceWindow",
    "ManualClock",
    "OpeningHours",
    "Outage",
    "Probe",
    "ProbeConflict",
    "ProbeReceipt",
    "ResidencyViolation",
    "ResponseStatement",
    "ResponseTarget",
    "RowsRejected",
    "Service",
    "SlaLedger",
    "SlaLedgerError",
    "Statement",
    "StatementDiff",
    "StoreError",
    "SupportTier",
    "SystemClock",
    "TermsInForce",
    "TransferAuthorisation",
    "UnknownReference",
    "VerifyReport",
    "canonical_json",
    "default_url",
    "open_ledger",
    "terms_hash",
]
