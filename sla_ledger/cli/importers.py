"""The importers' commands: ``ingest prometheus``, ``ingest csv`` and ``terms apply``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sla_ledger import RowsRejected
from sla_ledger import formatting as fmt
from sla_ledger.cli.app import common_options, main, print_json, store
from sla_ledger.importers import (
    CsvOptions,
    ImportReport,
    apply_terms,
    import_csv,
    import_prometheus,
    load_terms,
)
from sla_ledger.importers.report import Progress

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SHOWN = 20  # rejected rows a human sees; --json lists up to report.KEEP

strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Refuse the whole file, recording nothing, if any row would be rejected.",
)


@main.group()
def ingest() -> None:
    """Import probe results from monitoring: Prometheus query_range JSON, or CSV.

    Each reads its file as a stream, records probes in batches and lists the
    rows it rejected, with where and why; the other rows are recorded. A probe
    recorded before is not recorded again, so running an import twice records
    nothing new. With --strict, one rejected row refuses the whole file.
    The exit code is 0 when the file was read, whatever was rejected.

    \b
    Example:
      sla-ledger ingest prometheus probe_success.json --config mapping.toml
      sla-ledger ingest csv probes.csv --timestamp-format unix
    """


@ingest.command()
@click.argument("file", type=FILE)
@click.option(
    "--config",
    "config",
    required=True,
    type=FILE,
    help="The mapping file (TOML): which target and location each series measures.",
)
@strict_option
@common_options
@click.pass_context
def prometheus(ctx: click.Context, file: Path, config: Path, strict: bool, as_json: bool) -> None:
    """Import probe_success from a Prometheus query_range response (JSON).

    FILE is the body of /api/v1/query_range, or of /api/v1/query for a range
    selector such as probe_success[1d]. Each sample is one probe result at its
    instant: "1" up, "0" down; NaN and other values are rejected. The mapping
    file is described in docs/importers.md.

    \b
    Example:
      curl -sG http://prometheus:9090/api/v1/query_range \\
          --data-urlencode query=probe_success --data-urlencode step=15s \\
          --data-urlencode start=2026-10-01T00:00:00Z \\
          --data-urlencode end=2026-10-31T23:59:45Z > probe_success.json
      sla-ledger ingest prometheus probe_success.json --config mapping.toml
    """
    ledger = store(ctx)
    _ingest(
        file,
        "samples",
        as_json,
        lambda progress: import_prometheus(
            ledger, file, config, strict=strict, on_progress=progress
        ),
    )


@ingest.command()
@click.argument("file", type=FILE)
@click.option("--timestamp-column", help="Column of the probe instants.  [default: timestamp]")
@click.option("--target-column", help="Column of the targets.  [default: target]")
@click.option("--location-column", help="Column of the probe locations.  [default: location]")
@click.option("--ok-column", help="Column of the outcomes.  [default: ok]")
@click.option(
    "--latency-column",
    help="Column of the latencies; '' for none.  [default: latency, if the file has it]",
)
@click.option(
    "--timestamp-format",
    type=click.Choice(["rfc3339", "unix"]),
    help="rfc3339: 2026-10-01T00:00:15Z (an offset is required); unix: seconds since "
    "the epoch, decimals allowed.  [default: rfc3339]",
)
@click.option(
    "--ok-values", help="Comma-separated strings meaning up.  [default: 1,true,up,ok,yes,success]"
)
@click.option(
    "--not-ok-values",
    help="Comma-separated strings meaning down.  [default: 0,false,down,fail,failed,no,error]",
)
@click.option("--delimiter", help="The field separator; 'tab' for tabs.  [default: ,]")
@click.option(
    "--latency-unit", type=click.Choice(["s", "ms", "us"]), help="Unit of latencies.  [default: ms]"
)
@strict_option
@common_options
@click.pass_context
def csv(ctx: click.Context, /, file: Path, strict: bool, as_json: bool, **columns: Any) -> None:
    """Import probe results from a CSV file with a header line.

    One row per probe: its instant, target (a service id, or
    service/component/instance), location, outcome and, optionally, latency.
    The options say which column holds each, how instants are written and
    which strings mean up and down. Rejected rows are listed by line number.

    \b
    Example:
      sla-ledger ingest csv probes.csv
      sla-ledger ingest csv checks.tsv --delimiter tab --timestamp-column time \\
          --timestamp-format unix --ok-column status --ok-values pass \\
          --not-ok-values fail --latency-column duration --latency-unit s
    """
    options = CsvOptions(**_csv_options(columns))
    ledger = store(ctx)
    _ingest(
        file,
        "rows",
        as_json,
        lambda progress: import_csv(ledger, file, options, strict=strict, on_progress=progress),
    )


def _csv_options(given: dict[str, Any]) -> dict[str, Any]:
    chosen = {name: value for name, value in given.items() if value is not None}
    for name in ("ok_values", "not_ok_values"):
        if name in chosen:
            chosen[name] = tuple(chosen[name].split(","))
    if chosen.get("delimiter") in ("tab", "\\t"):
        chosen["delimiter"] = "\t"
    if chosen.get("latency_column") == "":
        chosen["latency_column"] = None
    return chosen


def _ingest(file: Path, unit: str, as_json: bool, run: Callable[[Progress], ImportReport]) -> None:
    try:
        with fmt.progress_bar(f"importing {file.name}") as advance:
            report = run(advance)
    except RowsRejected as refused:
        _show(refused.report, unit, as_json, refused=True)
        raise
    _show(report, unit, as_json)


def _show(report: ImportReport, unit: str, as_json: bool, refused: bool = False) -> None:
    if as_json:
        print_json({**report.to_json(), "refused": refused})
        return
    if not refused:
        click.echo(
            f"{report.file}: {report.read:,} {unit} read, {report.recorded:,} probes recorded, "
            f"{report.duplicates:,} recorded before, {report.rejected:,} rejected "
            f"({report.batches} batch{'' if report.batches == 1 else 'es'})"
        )
    if report.rejections:
        fmt.console().print(fmt.rejections_table(report, SHOWN, refused))


@main.group()
def terms() -> None:
    """Services and contracts from a terms file (TOML).

    \b
    Example:
      sla-ledger terms apply terms.toml
    """


@terms.command("apply")
@click.argument("file", type=FILE)
@common_options
@click.pass_context
def apply(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Register the file's services, sign its contracts and amend the changed ones.

    [[service]] tables have the fields of sla_ledger.Service, [[contract]]
    tables those of sla_ledger.Contract with [[contract.lines]]; see
    docs/importers.md. The whole file is checked before anything is
    recorded. Applying it again records nothing new; a contract whose terms
    changed is amended, and the new terms apply from the next month.

    \b
    Example:
      sla-ledger terms apply examples/prometheus/terms.toml
    """
    read = load_terms(file)  # before the store is created: a bad file leaves no trace
    changes = apply_terms(store(ctx, create=True), read, str(file))
    if as_json:
        print_json(
            [
                {
                    "table": c.table,
                    "name": c.name,
                    "action": c.action,
                    "effective_month": c.effective_month,
                }
                for c in changes
            ]
        )
        return
    for c in changes:
        kind = c.table.split("[")[0]
        note = f": the new terms apply from {c.effective_month}" if c.effective_month else ""
        click.echo(f"{kind} {c.name} ({c.table}): {c.action}{note}")
    if not changes:
        click.echo(f"nothing to apply: {file} has no [[service]] or [[contract]] table")
    elif all(c.action == "unchanged" for c in changes):
        click.echo(f"nothing new: {file} is recorded already")
