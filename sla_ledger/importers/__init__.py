"""Importers: probe results from monitoring (Prometheus, CSV) and terms from a TOML file.

Each streams its file with bounded memory, records probes in batches through
``SlaLedger.record_probes`` (so running an import twice records nothing new) and
reports the rows it rejected, with where and why. See docs/importers.md.
"""

from sla_ledger.importers.csv_probes import CsvOptions, import_csv, read_csv
from sla_ledger.importers.prometheus import import_prometheus, read_query_range
from sla_ledger.importers.prometheus_mapping import PrometheusMapping, TargetRule
from sla_ledger.importers.report import ImportReport, Rejected, Row
from sla_ledger.importers.terms_file import TermsChange, TermsFile, apply_terms, load_terms

__all__ = [
    "CsvOptions",
    "ImportReport",
    "PrometheusMapping",
    "Rejected",
    "Row",
    "TargetRule",
    "TermsChange",
    "TermsFile",
    "apply_terms",
    "import_csv",
    "import_prometheus",
    "load_terms",
    "read_csv",
    "read_query_range",
]
