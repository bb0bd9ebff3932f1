"""A handover bundle: a leaving customer's data in open formats, enough to recompute it all.

``write_handover(ledger, contract_id, directory)`` writes a directory with:

- ``export.jsonl``: the customer's share of the log (``export_jsonl(..., customer=...)``
  of the contract's customer), which re-imports into an empty store;
- ``schema/``: the JSON Schema of every line type;
- ``statements.csv``, ``credits.csv`` and ``responses.csv``: the customer's figures
  (``csv_export``);
- ``README.md``: what the files are and how to recompute every figure from
  ``export.jsonl``, with the contract's termination date when notice was given.

Everything is read from one fixed end of the log, and the directory appears
whole or not at all.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sla_ledger.adapters.csv_export import (
    CREDITS_FILE,
    RESPONSES_FILE,
    STATEMENTS_FILE,
    write_credits,
    write_csv_file,
    write_responses,
    write_statements,
)
from sla_ledger.adapters.jsonl import interchange_line
from sla_ledger.adapters.scope import ContractRecord, LogView
from sla_ledger.domain import events as ev
from sla_ledger.domain.time import format_instant, to_us
from sla_ledger.exceptions import UnknownReference

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

EXPORT_FILE = "export.jsonl"
SCHEMA_DIR = "schema"
README_FILE = "README.md"

README = Template(
    """\
# Handover: contract $contract_id of $customer

This directory holds everything the SLA ledger recorded about $customer, in
open formats: enough to recompute every availability statement and service
credit without the ledger that issued them. It was written by sla-ledger
$version from the ledger's log up to position $stop; the last event it holds
was recorded at $last_recorded.

$termination

## Contracts

| contract | lines (service measured) | time zone | starts | ends |
|---|---|---|---|---|
$contracts

## Files

- `export.jsonl`: $events events, $customer's share of the ledger's log in the
  sla-ledger interchange format (JSON Lines, one event per line, in the order
  recorded): the contracts above with their statements and credits, the
  services they measure, those services' probes, corrections, incidents and
  maintenance announcements, and ledger-wide events; nothing about any other
  customer. Every event keeps its id and the time the ledger recorded it.
- `schema/`: the JSON Schema (draft 2020-12) of every line type in
  `export.jsonl`, one file per event type.
- `statements.csv`: $statements rows, every statement, one row per version
  (the issued statement, then each restatement).
- `credits.csv`: $credits rows, every credit and credit adjustment as issued
  to billing (availability and response credits).
- `responses.csv`: $responses rows, every response statement (support cases
  and their response targets), one row per version and contract line.
- `README.md`: this file.

In every file, durations are decimal seconds, money and percentages are
decimal strings, the exact availability is a fraction
(`numerator/denominator`, with `availability_percent` truncated to four
places), and instants are RFC 3339. `log_position` and `position` are
positions in the issuing ledger's log.

## Recomputing the figures

Every figure in `statements.csv`, `credits.csv` and `responses.csv` follows
from the events in `export.jsonl` by the measurement rules R1-R14 written down
in `docs/rules.md` (and `docs/support.md` for responses) of sla-ledger (in its
source distribution). To check them with the reference implementation:

```console
pip install sla-ledger==$version
sla-ledger --url sqlite:///check.db import export.jsonl
sla-ledger --url sqlite:///check.db statement --contract $contract_id --month $month
sla-ledger --url sqlite:///check.db credits
```

The import checks every line (against the format and the references between
events) and restores the events as they were recorded, with their ids and
recording times, so the statements and credits it shows are the ones issued.
To recompute each statement from the evidence rather than read it back:

```python
from sla_ledger import open_ledger

ledger = open_ledger("sqlite:///check.db")
for issued in ledger.statements():
    computed = ledger.compute_statement(
        issued.contract_id, issued.line_id, issued.month, as_known_at=issued.known_at
    )
    assert computed.figures() == issued.figures(), issued
```
"""
)


@dataclass(frozen=True)
class HandoverReport:
    """What ``write_handover`` wrote."""

    directory: Path
    contract_id: str
    customer: str
    events: int
    statements: int
    credits: int
    responses: int = 0


def write_handover(
    ledger: SlaLedger, contract_id: str, directory: str | os.PathLike[str]
) -> HandoverReport:
    """Write the handover bundle of a contract's customer into ``directory``.

    Any contract may be handed over, ended or not; the README gives its
    termination date when notice was given.

    Raises:
        UnknownReference: no such contract.
        FileExistsError: ``directory`` exists and is not an empty directory.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists and is not an empty directory")
    whole = LogView(ledger)
    record = whole.contracts().get(contract_id)
    if record is None:
        raise UnknownReference(f"unknown contract {contract_id!r}; see 'sla-ledger contracts'")
    customer = record.latest.customer
    view = whole.for_customer(customer)

    staging = target.with_name(target.name + ".partial")
    if staging.is_dir():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        events, last = _write_export(view, staging / EXPORT_FILE)
        _copy_schemas(staging / SCHEMA_DIR)
        statements = write_csv_file(staging / STATEMENTS_FILE, view, write_statements)
        credits = write_csv_file(staging / CREDITS_FILE, view, write_credits)
        responses = write_csv_file(staging / RESPONSES_FILE, view, write_responses)
        counts = {"statements": statements, "credits": credits, "responses": responses}
        readme = render_readme(view, contract_id, events=events, last=last, **counts)
        (staging / README_FILE).write_text(readme, encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty, checked above
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return HandoverReport(target, contract_id, customer, events, statements, credits, responses)


def _write_export(view: LogView, path: Path) -> tuple[int, datetime | None]:
    events, last = 0, None
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for _, event in view.events():
            out.write(interchange_line(event) + "\n")
            events, last = events + 1, event.recorded_at
    return events, last


def schema_files() -> dict[str, str]:
    """The published JSON Schemas shipped with the package: file name -> text."""
    folder = files("sla_ledger").joinpath("schema")
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in folder.iterdir()
        if item.name.endswith(".json")
    }


def _copy_schemas(folder: Path) -> None:
    folder.mkdir()
    for name, text in sorted(schema_files().items()):
        (folder / name).write_text(text, encoding="utf-8")


def render_readme(
    view: LogView,
    contract_id: str,
    *,
    events: int,
    statements: int,
    credits: int,
    last: datetime | None,
    responses: int = 0,
) -> str:
    """The bundle's README.md."""
    from sla_ledger import __version__

    assert view.scope is not None
    records = view.scope.contracts
    months = [
        event.statement.month
        for _, event in view.of_types("StatementIssued")
        if isinstance(event, ev.StatementIssued) and event.statement.contract_id == contract_id
    ]
    record = records[contract_id]
    return README.substitute(
        contract_id=contract_id,
        customer=_cell(view.scope.customer),
        version=__version__,
        stop=view.stop,
        last_recorded="(none)" if last is None else format_instant(to_us(last)),
        termination=_termination(contract_id, record),
        contracts="\n".join(_contract_row(cid, r) for cid, r in sorted(records.items())),
        events=events,
        statements=statements,
        credits=credits,
        responses=responses,
        month=months[-1] if months else "YYYY-MM",
    )


def _termination(contract_id: str, record: ContractRecord) -> str:
    if record.ends_at is None:
        return (
            f"Contract {contract_id} has no termination notice in this ledger: it had not "
            "ended when this bundle was written."
        )
    return f"Contract {contract_id} ends at {_when(record.ends_at, record)} (notice given)."


def _contract_row(contract_id: str, record: ContractRecord) -> str:
    terms = record.latest
    lines = ", ".join(f"{line.line_id} ({line.service})" for line in terms.lines)
    ends = "-" if record.ends_at is None else _when(record.ends_at, record)
    starts = _when(terms.starts_at, record)
    return f"| {contract_id} | {lines} | {terms.time_zone} | {starts} | {ends} |"


def _when(instant: datetime, record: ContractRecord) -> str:
    """RFC 3339 in the contract's time zone, e.g. ``2026-07-01T00:00:00+02:00``."""
    return instant.astimezone(ZoneInfo(record.latest.time_zone)).isoformat()


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


__all__ = [
    "EXPORT_FILE",
    "README_FILE",
    "SCHEMA_DIR",
    "HandoverReport",
    "render_readme",
    "schema_files",
    "write_handover",
]
