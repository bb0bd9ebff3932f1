"""Monthly SLA reports for customers and the portfolio of all contracts (docs/reports.md).

``contract_report`` and ``portfolio`` build the data from a ledger;
``render_report`` and ``render_portfolio`` turn it into HTML, Markdown or JSON.
"""

from sla_ledger.reports.build import contract_report
from sla_ledger.reports.model import ContractReport, Portfolio
from sla_ledger.reports.portfolio import portfolio
from sla_ledger.reports.render import FORMATS, render_portfolio, render_report

__all__ = [
    "FORMATS",
    "ContractReport",
    "Portfolio",
    "contract_report",
    "portfolio",
    "render_portfolio",
    "render_report",
]
