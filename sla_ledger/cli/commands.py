"""The ``sla-ledger`` commands: parse, call ``SlaLedger``, format."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click

from sla_ledger import (
    ManualClock,
    SlaLedger,
    Statement,
    UnknownReference,
    open_ledger,
)
from sla_ledger import demo as demo_month
from sla_ledger import formatting as fmt
from sla_ledger.adapters.csv_export import (
    CREDITS_FILE,
    RESPONSES_FILE,
    STATEMENTS_FILE,
    export_csv,
)
from sla_ledger.adapters.handover import write_handover
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.cli import support
from sla_ledger.cli.app import (
    INSTANT,
    common_options,
    main,
    print_json,
    sqlite_path,
    store,
)


@main.command()
@click.option("--fresh", is_flag=True, help="Delete the store's SQLite file first (demos only).")
@common_options
@click.pass_context
def demo(ctx: click.Context, fresh: bool, as_json: bool) -> None:
    """Build a realistic month (March 2026) in the store, close it and show the figures.

    Three services probed every 30 s from three locations, two contracts
    (Europe/Berlin in EUR, America/New_York in USD). The store must be empty:
    with --fresh an SQLite file that holds nothing but a demo is deleted first;
    any other store is left alone.

    \b
    Example:
      sla-ledger demo --fresh
      sla-ledger --url sqlite:///other.db demo
    """
    url: str = ctx.obj
    sqlite_path(url)
    if fresh:
        _delete_demo_store(url)
    clock = ManualClock(demo_month.SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    if ledger.position:
        raise click.UsageError(
            f"the store {url} already holds {ledger.position} events; run "
            "'sla-ledger demo --fresh' to delete a demo and build it again, or use another "
            "store: --url sqlite:///other.db",
            ctx,
        )
    started = time.perf_counter()
    with fmt.progress_bar("recording probes") as advance:
        result = demo_month.build_demo(ledger, clock, advance)
    seconds = time.perf_counter() - started
    if as_json:
        print_json(
            {
                "url": url,
                "probes": result.probes,
                "batches": result.batches,
                "seconds": round(seconds, 3),
                "statements": [s.model_dump(mode="json") for s in result.statements],
                "credits": [fmt.credit_json(c) for c in result.credits],
            }
        )
        return
    fmt.console().print(fmt.demo_view(result, url, seconds))


def _delete_demo_store(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        raise click.UsageError(f"--fresh deletes SQLite files only; give {url} empty instead")
    if not path.exists():
        return
    ledger = open_ledger(url)
    holds_demo = demo_month.is_demo(ledger)
    ledger.close()
    if not holds_demo:
        raise click.UsageError(
            f"{path} holds a ledger that is not a demo; not deleting it "
            "(use --url sqlite:///other.db)"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common_options
@click.pass_context
def import_(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Import a JSON Lines interchange file (an export), all or nothing.

    Events keep their ids and recording times, so every statement and credit
    reproduces exactly.

    \b
    Example:
      sla-ledger --url sqlite:///copy.db import export.jsonl
    """
    ledger = store(ctx, create=True)
    total = _count_lines(file)
    with fmt.progress_bar(f"importing {file.name}") as advance:
        report = import_jsonl(ledger, file, on_progress=lambda lines: advance(lines, total))
    if as_json:
        print_json({"file": str(file), "lines": report.lines, "events": report.events})
    else:
        click.echo(f"imported {report.events} events from {report.lines} lines of {file}")


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="jsonl: the interchange file TARGET; csv: statements.csv, credits.csv and "
    "responses.csv in the directory TARGET; parquet: events.parquet and probes.parquet in "
    "the directory TARGET.",
)
@click.option(
    "--customer",
    help="Only this customer's share: enough to recompute their statements, nothing of others.",
)
@common_options
@click.pass_context
def export(
    ctx: click.Context, target: Path, format_: str, customer: str | None, as_json: bool
) -> None:
    """Export the ledger: every event as JSON Lines, figures as CSV, or all as Parquet.

    Each file is written whole or not at all; importing a JSON Lines export
    into an empty store reproduces every statement and credit. With
    --customer, only what that customer's statements are computed from.

    \b
    Example:
      sla-ledger export ledger.jsonl
      sla-ledger export --customer "ACME GmbH" acme.jsonl
      sla-ledger export --format csv figures/
      sla-ledger export --format parquet warehouse/
    """
    if format_ == "jsonl" and target.is_dir():
        raise click.BadParameter(f"{target} is a directory; give a file name", param_hint="TARGET")
    if format_ != "jsonl" and target.exists() and not target.is_dir():
        raise click.BadParameter(
            f"{target} is a file; --format {format_} writes into a directory", param_hint="TARGET"
        )
    ledger = store(ctx)
    whose = "" if customer is None else f" of customer {customer!r}"
    if format_ == "csv":
        csv_report = export_csv(ledger, target, customer=customer)
        if as_json:
            print_json(
                {
                    "directory": str(target),
                    "statements": csv_report.statements,
                    "credits": csv_report.credits,
                    "responses": csv_report.responses,
                }
            )
        else:
            click.echo(
                f"exported {csv_report.statements} statement versions{whose} to "
                f"{target / STATEMENTS_FILE}, {csv_report.credits} credits to "
                f"{target / CREDITS_FILE} and {csv_report.responses} response rows to "
                f"{target / RESPONSES_FILE}"
            )
        return
    total = ledger.recorder.max_notification_id() or 0
    if format_ == "parquet":
        from sla_ledger.adapters.parquet_export import (
            EVENTS_FILE,
            PROBES_FILE,
            ParquetUnavailable,
            export_parquet,
        )

        try:
            with fmt.progress_bar(f"exporting to {target.name}") as advance:
                parquet = export_parquet(
                    ledger,
                    target,
                    on_progress=lambda events: advance(events, total),
                    customer=customer,
                )
        except ParquetUnavailable as error:
            raise click.ClickException(str(error)) from None
        if as_json:
            print_json(
                {"directory": str(target), "events": parquet.events, "probes": parquet.probes}
            )
        else:
            click.echo(
                f"exported {parquet.events} events{whose} to {target / EVENTS_FILE} and "
                f"{parquet.probes} probes to {target / PROBES_FILE}"
            )
        return
    with fmt.progress_bar(f"exporting to {target.name}") as advance:
        written = export_jsonl(
            ledger, target, on_progress=lambda events: advance(events, total), customer=customer
        )
    if as_json:
        print_json({"file": str(target), "events": written})
    else:
        click.echo(f"exported {written} events{whose} to {target}")


@main.command()
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@common_options
@click.pass_context
def handover(ctx: click.Context, contract_id: str, directory: Path, as_json: bool) -> None:
    """Write a handover bundle for a contract's customer into a new directory.

    DIRECTORY (new, or empty) gets export.jsonl (the customer's share of the
    ledger, re-importable), schema/ (the JSON Schema of every line),
    statements.csv, credits.csv and a README.md saying how to recompute every
    figure from export.jsonl. It appears whole or not at all.

    \b
    Example:
      sla-ledger handover --contract acme-eu acme-handover/
    """
    if directory.exists() and any(directory.iterdir()):
        raise click.BadParameter(
            f"{directory} is not empty; give a new directory", param_hint="DIRECTORY"
        )
    report = write_handover(store(ctx), contract_id, directory)
    if as_json:
        print_json(
            {
                "directory": str(report.directory),
                "contract_id": report.contract_id,
                "customer": report.customer,
                "events": report.events,
                "statements": report.statements,
                "credits": report.credits,
            }
        )
    else:
        click.echo(
            f"wrote the handover of contract {contract_id} (customer {report.customer}) to "
            f"{directory}: {report.events} events, {report.statements} statement versions, "
            f"{report.credits} credits"
        )


@main.command()
@click.option(
    "--now",
    type=INSTANT,
    help="Close as of this instant, for replays and tests; what it issues is stamped with it.",
)
@common_options
@click.pass_context
def close(ctx: click.Context, now: datetime | None, as_json: bool) -> None:
    """Issue every statement and credit that is due; restate what new evidence changed.

    Safe to run from a scheduler, as often as you like.

    \b
    Example:
      sla-ledger close
      sla-ledger close --now 2026-04-01T06:00:00Z
    """
    closed = store(ctx, create=True).close_due(now)
    statements, responses = closed.statements, closed.response_statements
    if as_json:  # response statements (they have no line_id) after the line statements
        print_json([s.model_dump(mode="json") for s in (*statements, *responses)])
    elif statements or responses:
        if statements:
            fmt.console().print(fmt.statements_table(statements, "Issued or restated"))
        if responses:
            fmt.console().print(support.responses_table(responses, "Response statements"))
    else:
        click.echo("nothing due: no statement to issue or restate")


@main.command()
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.option("--line", "line_id", help="Line id (default: every line of the contract).")
@click.option("--month", required=True, help="Measurement month, YYYY-MM.")
@click.option("--as-known-at", type=INSTANT, help="Show what was known at this instant.")
@common_options
@click.pass_context
def statement(
    ctx: click.Context,
    contract_id: str,
    line_id: str | None,
    month: str,
    as_known_at: datetime | None,
    as_json: bool,
) -> None:
    """Show a month's statements: the issued one, or provisional figures if not issued yet,
    and, for a contract with a support tier, its response statement.

    With --json: a list of {"status": "issued" | "provisional", "statement": ...}, then
    {"status": ..., "response_statement": ...} when there is one.

    \b
    Example:
      sla-ledger statement --contract acme-eu --line api --month 2026-03
      sla-ledger statement --contract acme-eu --month 2026-03 --as-known-at 2026-03-15T00:00:00Z
    """
    ledger = store(ctx)
    lines = [line_id] if line_id else _lines(ledger, contract_id, month)
    shown: list[tuple[str, Statement]] = []
    for line in lines:
        issued = ledger.statement_for(contract_id, line, month, as_known_at)
        if issued is not None:
            shown.append(("issued", issued))
        else:
            # Not issued: the month to date, as known now (or at the instant asked).
            known_at = as_known_at or ledger.clock.now()
            figures = ledger.compute_statement(contract_id, line, month, known_at, until=known_at)
            shown.append(("provisional", figures))
    response = support.response_shown(ledger, contract_id, month, as_known_at)
    if as_json:
        out = [{"status": st, "statement": s.model_dump(mode="json")} for st, s in shown]
        if response is not None:
            out.append(
                {"status": response[0], "response_statement": response[1].model_dump(mode="json")}
            )
        print_json(out)
        return
    console = fmt.console()
    for status, figures in shown:
        console.print(fmt.statement_view(figures, status))
    if response is not None:
        support.print_response(response)


def _lines(ledger: SlaLedger, contract_id: str, month: str) -> list[str]:
    contract = next((c for c in ledger.contracts() if c.contract_id == contract_id), None)
    if contract is None:
        raise UnknownReference(f"unknown contract {contract_id!r}; see 'sla-ledger contracts'")
    issued = [s.line_id for s in ledger.statements(contract_id, month)]
    return issued + [x.line_id for x in contract.lines if x.line_id not in issued]


@main.command()
@click.option("--after", type=click.IntRange(min=0), default=0, help="Log position to start after.")
@common_options
@click.pass_context
def credits(ctx: click.Context, after: int, as_json: bool) -> None:
    """The credits feed: every credit and adjustment after a log position, in order.

    A billing service remembers the last position it applied and asks from there.

    \b
    Example:
      sla-ledger credits --after 759 --json
    """
    ledger = store(ctx)
    entries = []
    while page := ledger.credits(after):
        entries.extend(page)
        after = page[-1].position
    if as_json:
        print_json([fmt.credit_json(c) for c in entries])
    elif entries:
        fmt.console().print(fmt.credits_table(entries))
    else:
        click.echo("no credits after this position")


@main.command()
@common_options
@click.pass_context
def services(ctx: click.Context, as_json: bool) -> None:
    """List the registered services with their probe locations and topology.

    \b
    Example:
      sla-ledger services --json
    """
    found = store(ctx).services()
    if as_json:
        print_json([s.model_dump(mode="json") for s in found])
    else:
        fmt.console().print(fmt.services_table(found))


@main.command()
@common_options
@click.pass_context
def contracts(ctx: click.Context, as_json: bool) -> None:
    """List the contracts (their latest terms) with their lines.

    \b
    Example:
      sla-ledger contracts
    """
    found = store(ctx).contracts()
    if as_json:
        print_json([c.model_dump(mode="json") for c in found])
    else:
        fmt.console().print(fmt.contracts_table(found))
