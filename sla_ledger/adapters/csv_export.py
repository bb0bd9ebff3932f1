"""Statements and credits as CSV, for spreadsheets and billing systems.

Two files, UTF-8, comma-separated with a header row (the stdlib ``csv``
module's default dialect: RFC 4180 quoting, ``\\r\\n`` line ends):

- ``statements.csv``: one row per statement version (an issued statement and
  each restatement), in the order they were recorded;
- ``credits.csv``: the credits feed, one row per credit or adjustment, in log order
  (availability and response credits);
- ``responses.csv``: one row per response statement version and contract line, in
  the order they were recorded (docs/support.md).

Values are written as in the interchange format: durations as decimal seconds,
money and percentages as decimal strings, the exact availability as a fraction,
instants as RFC 3339 in UTC. No float appears anywhere. docs/interchange.md
describes every column.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sla_ledger.adapters.files import written_whole
from sla_ledger.adapters.scope import STATEMENT_TYPES, LogView
from sla_ledger.domain import events as ev
from sla_ledger.domain.response_statement import LineCredit, ResponseStatement
from sla_ledger.domain.statement import Statement, TermsInForce
from sla_ledger.domain.time import format_instant, to_us

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

STATEMENT_COLUMNS = (
    "contract_id",
    "line_id",
    "service",
    "customer",
    "month",
    "version",
    "time_zone",
    "period_start",
    "period_end",
    "month_length",
    "active",
    "excluded",
    "eligible",
    "down",
    "unknown",
    "unavailable",
    "unknown_counts_as",
    "availability",
    "availability_percent",
    "target",
    "met",
    "credit_percent",
    "base",
    "credit",
    "currency",
    "known_at",
    "log_position",
    "terms_version",
    "terms_sha256",
)
"""The columns of ``statements.csv``: ``Statement`` fields of the same names, and the
version and hash of the terms it was computed under (``Statement.terms``)."""

CREDIT_COLUMNS = (
    "position",
    "kind",
    "contract_id",
    "line_id",
    "month",
    "amount",
    "currency",
    "statement_version",
    "recorded_at",
)
"""The columns of ``credits.csv``: ``CreditEntry`` fields of the same names."""

RESPONSE_COLUMNS = (
    "contract_id",
    "customer",
    "month",
    "version",
    "tier",
    "period_start",
    "period_end",
    "cases",
    "met",
    "missed",
    "pending",
    "response_credit_percent",
    "line_id",
    "currency",
    "statement_version",
    "base",
    "availability_percent",
    "response_percent",
    "combined_percent",
    "combined_credit",
    "availability_credit",
    "response_credit",
    "known_at",
    "log_position",
    "terms_version",
    "terms_sha256",
)
"""The columns of ``responses.csv``: ``ResponseStatement`` fields (``cases`` counted), then
one of its ``LineCredit``s, then the version and hash of its terms."""

STATEMENTS_FILE = "statements.csv"
CREDITS_FILE = "credits.csv"
RESPONSES_FILE = "responses.csv"


@dataclass(frozen=True)
class CsvReport:
    """What ``export_csv`` wrote: rows of statements.csv, credits.csv and responses.csv."""

    statements: int
    credits: int
    responses: int = 0


def export_csv(
    ledger: SlaLedger, directory: str | os.PathLike[str], *, customer: str | None = None
) -> CsvReport:
    """Write ``statements.csv``, ``credits.csv`` and ``responses.csv`` into ``directory``
    (created if missing).

    Each file is written whole or not at all, and all from the same end of the log.

    Args:
        customer: only this customer's contracts; ``UnknownReference`` when none names it.
    """
    view = LogView(ledger, customer)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    statements = write_csv_file(folder / STATEMENTS_FILE, view, write_statements)
    credits = write_csv_file(folder / CREDITS_FILE, view, write_credits)
    responses = write_csv_file(folder / RESPONSES_FILE, view, write_responses)
    return CsvReport(statements, credits, responses)


def write_csv_file(path: Path, view: LogView, writer: Callable[[LogView, IO[str]], int]) -> int:
    """Write one CSV file of a view whole or not at all; return its rows."""
    with written_whole(path) as partial, open(partial, "w", encoding="utf-8", newline="") as out:
        return writer(view, out)


def write_statements(view: LogView, out: IO[str]) -> int:
    """Write statements.csv: the header, then one row per statement version."""
    return _write(out, STATEMENT_COLUMNS, map(statement_row, statements_of(view)))


def write_credits(view: LogView, out: IO[str]) -> int:
    """Write credits.csv: the header, then one row per credit or adjustment."""
    rows = (credit_row(position, event) for position, event in view.of_types(*ev.ALL_CREDIT_TYPES))
    return _write(out, CREDIT_COLUMNS, rows)


def write_responses(view: LogView, out: IO[str]) -> int:
    """Write responses.csv: the header, then a row per response statement version and line."""
    rows = (
        response_row(event.statement, line)
        for _, event in view.of_types(*ev.RESPONSE_STATEMENT_TYPES)
        if isinstance(event, ev.ResponseStatementIssued | ev.ResponseStatementRestated)
        for line in event.statement.lines
    )
    return _write(out, RESPONSE_COLUMNS, rows)


def statements_of(view: LogView) -> Iterable[Statement]:
    """Every version of every statement in the view, in the order they were recorded."""
    for _, event in view.of_types(*STATEMENT_TYPES):
        assert isinstance(event, ev.StatementIssued | ev.StatementRestated)
        yield event.statement


def statement_row(statement: Statement) -> list[str]:
    """One row of statements.csv (empty terms columns for a statement that names none)."""
    values = statement.model_dump(mode="json", include=set(STATEMENT_COLUMNS))
    values |= _terms(statement.terms)
    return [_text(values[column]) for column in STATEMENT_COLUMNS]


def response_row(statement: ResponseStatement, line: LineCredit) -> list[str]:
    """One row of responses.csv: a response statement version and one of its lines."""
    values = statement.model_dump(mode="json") | line.model_dump(mode="json")
    values |= {"cases": len(statement.cases)} | _terms(statement.terms)
    return [_text(values[column]) for column in RESPONSE_COLUMNS]


def _terms(terms: TermsInForce | None) -> dict[str, str]:
    if terms is None:
        return {"terms_version": "", "terms_sha256": ""}
    return {"terms_version": str(terms.version), "terms_sha256": terms.sha256}


def credit_row(position: int, event: ev.DomainEvent) -> list[str]:
    """One row of credits.csv, for a credit or an adjustment at ``position``."""
    assert isinstance(event, ev.CreditEvent)
    return [
        str(position),
        type(event).__name__,
        event.contract_id,
        event.line_id,
        event.month,
        format(event.amount, "f"),
        event.currency,
        str(event.statement_version),
        format_instant(to_us(event.recorded_at)),
    ]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(out: IO[str], columns: tuple[str, ...], rows: Iterable[list[str]]) -> int:
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


__all__ = [
    "CREDITS_FILE",
    "CREDIT_COLUMNS",
    "RESPONSES_FILE",
    "RESPONSE_COLUMNS",
    "STATEMENTS_FILE",
    "STATEMENT_COLUMNS",
    "CsvReport",
    "credit_row",
    "export_csv",
    "response_row",
    "statement_row",
    "write_credits",
    "write_responses",
    "write_statements",
]
