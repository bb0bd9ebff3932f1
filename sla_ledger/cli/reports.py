"""``sla-ledger report`` and ``sla-ledger portfolio``: the monthly SLA report a customer
receives, and every contract of a month at a glance (docs/reports.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import cast

import click
from rich import box
from rich.table import Table

from sla_ledger import formatting as fmt
from sla_ledger.adapters.files import written_whole
from sla_ledger.cli.app import INSTANT, common_options, main, print_json, store
from sla_ledger.reports import (
    FORMATS,
    Portfolio,
    contract_report,
    portfolio,
    render_portfolio,
    render_report,
)
from sla_ledger.reports.render import Format

_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE (whole or not at all) instead of standard output.",
)


@main.command()
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.option("--month", required=True, help="Measurement month, YYYY-MM.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="html (default): one self-contained file; md: Markdown; json: the report's data.",
)
@click.option("--line", "line_id", help="Only this line (default: every line of the contract).")
@_OUTPUT
@click.option(
    "--as-known-at", type=INSTANT, help="The report as it would have been at this instant."
)
@common_options
@click.pass_context
def report(
    ctx: click.Context,
    contract_id: str,
    month: str,
    format_: Format | None,
    line_id: str | None,
    output: Path | None,
    as_known_at: datetime | None,
    as_json: bool,
) -> None:
    """Write a contract's monthly SLA report: what the customer receives.

    Availability against the target, the credit and its arithmetic, a picture
    of the month and of each day, the evidence, the versions, and the log
    digest the figures come from. A line whose month has no issued statement
    is computed now, month to date, and marked PROVISIONAL.

    Without -o the report goes to standard output; --json alone means
    --format json, and with -o it prints what was written as JSON.

    \b
    Example:
      sla-ledger report --contract acme-eu --month 2026-03 -o acme-2026-03.html
      sla-ledger report --contract acme-eu --month 2026-03 --format md --line api
      sla-ledger report --contract acme-eu --month 2026-03 --format json \\
          --as-known-at 2026-03-20T00:00:00Z
    """
    chosen = _format(format_, as_json and output is None)
    found = contract_report(store(ctx), contract_id, month, line_id, as_known_at)
    text = render_report(found, chosen)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)
    lines = [line.statement.line_id for line in found.lines]
    status = "provisional" if found.provisional else "issued"
    if as_json:
        print_json({"file": str(output), "format": chosen, "status": status, "lines": lines})
    else:
        click.echo(
            f"wrote the {status} {chosen} report of {contract_id} for {month} "
            f"(lines: {', '.join(lines)}) to {output}"
        )


@main.command("portfolio")
@click.option("--month", required=True, help="Measurement month, YYYY-MM.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(("table", *FORMATS)),
    default="table",
    show_default=True,
    help="table: for people at a terminal; html, md, json: to keep or send.",
)
@_OUTPUT
@common_options
@click.pass_context
def portfolio_(
    ctx: click.Context, month: str, format_: str, output: Path | None, as_json: bool
) -> None:
    """Every contract line of a month, worst availability first, with credits per currency.

    Issued statements where the month has closed; otherwise the month to date,
    computed now and marked provisional. Credits are totalled per currency,
    never across currencies.

    \b
    Example:
      sla-ledger portfolio --month 2026-03
      sla-ledger portfolio --month 2026-03 --format html -o portfolio-2026-03.html
    """
    if format_ == "table" and output is not None:
        raise click.BadParameter("-o writes html, md or json: add --format", param_hint="'-o'")
    found = portfolio(store(ctx), month)
    if format_ == "table" and not as_json:
        fmt.console().print(portfolio_table(found))
        return
    chosen = _format(None if format_ == "table" else cast(Format, format_), as_json and not output)
    text = render_portfolio(found, chosen)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)
    if as_json:
        print_json({"file": str(output), "format": chosen, "lines": len(found.rows)})
    else:
        click.echo(f"wrote the {chosen} portfolio of {month} to {output}")


def _format(given: Format | None, as_json: bool) -> Format:
    if as_json and given not in (None, "json"):
        raise click.BadParameter(
            f"--json asks for JSON, --format for {given}: give one of them", param_hint="'--json'"
        )
    return "json" if as_json else given or "html"


def _write(output: Path, text: str) -> None:
    if not output.parent.is_dir():
        raise click.BadParameter(f"{output.parent} is not a directory", param_hint="'-o'")
    with written_whole(output) as partial:
        partial.write_text(text, encoding="utf-8")


def portfolio_table(p: Portfolio) -> Table:
    """The portfolio for a terminal: one row per line, then the totals per currency."""
    table = Table(
        "contract",
        "customer",
        "line",
        "availability",
        "target",
        "met",
        "credit",
        "credited",
        "status",
        title=f"Portfolio {p.month}: worst availability first",
        title_justify="left",
        box=box.SIMPLE,
        padding=(0, 1),
    )
    for r in p.rows:
        table.add_row(
            r.contract_id,
            r.customer,
            r.line_id,
            f"{r.availability_percent} %",
            fmt.percent(r.target),
            "yes" if r.met else "[red]no[/]",
            fmt.money(r.credit, r.currency),
            fmt.money(r.credited, r.currency),
            f"issued v{r.version}" if r.status == "issued" else "[yellow]provisional[/]",
        )
    if not p.rows:
        table.caption = f"no contract was active in {p.month}"
    for t in p.totals:
        table.add_section()
        table.add_row(
            f"total {t.currency}",
            f"{t.lines} lines",
            "",
            "",
            "",
            "",
            fmt.money(t.credit, t.currency),
            fmt.money(t.credited, t.currency),
            "",
        )
    return table
