"""The recovery commands: back up a live store, restore a backup up to a point in time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from sla_ledger import StoreError
from sla_ledger import formatting as fmt
from sla_ledger.audit.backup import BackupReport, RestoreReport, backup, restore
from sla_ledger.bootstrap import store_env
from sla_ledger.cli.app import INSTANT, common_options, main, print_json, store


class UntilType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3
    """A number of events (``N``, the size of a log digest) or an RFC 3339 instant."""

    name = "INSTANT|N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | datetime):
            return value
        if str(value).isdigit():
            return int(value)
        try:
            instant: datetime = INSTANT.convert(value, param, ctx)
        except click.BadParameter as error:
            self.fail(f"{error.message}, or a number of events such as 1200", param, ctx)
        return instant


@main.command("backup")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--append", is_flag=True, help="Add the events recorded since the backup's last run to it."
)
@common_options
@click.pass_context
def backup_(ctx: click.Context, directory: Path, append: bool, as_json: bool) -> None:
    """Back up the store into DIRECTORY while others go on writing to it.

    The backup holds every event stored when it starts, in the open interchange
    format (DIRECTORY/events.jsonl), with a manifest (DIRECTORY/manifest.json).
    A new backup appears whole or not at all; --append extends an existing one
    and, if it is killed, leaves the backup as its last complete run made it.
    Run it with --append every N minutes, and losing the store loses at most
    the events of the last N minutes or so (docs/recovery.md).

    \b
    Example:
      sla-ledger backup /backups/ledger
      sla-ledger backup --append /backups/ledger
    """
    ledger = store(ctx)
    verb = "appending to" if append else "backing up to"
    with fmt.progress_bar(f"{verb} {directory.name}") as advance:
        report = backup(ledger, directory, append=append, on_progress=advance)
    if as_json:
        print_json(_backup_json(report))
        return
    where = _positions(report.first_position, report.last_position)
    if append:
        click.echo(
            f"appended {report.added} events to {directory}: it holds {report.events} events{where}"
        )
    else:
        click.echo(f"backed up {report.events} events to {directory}{where}")
    click.echo(f"its log digest: {report.digest}")


def _backup_json(report: BackupReport) -> dict[str, Any]:
    return {
        "directory": str(report.path),
        "events": report.events,
        "added": report.added,
        "appended": report.appended,
        "first_position": report.first_position,
        "last_position": report.last_position,
        "last_recorded_at": _instant(report.last_recorded_at),
        "updated_at": _instant(report.updated_at),
        "digest": report.digest,
    }


@main.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--to", "url", required=True, help="The new, empty store to restore into.")
@click.option(
    "--until",
    type=UntilType(),
    help="An instant: the log up to the first event recorded after it; "
    "a number N: the first N events (the SIZE of a digest).",
)
@click.option(
    "--position",
    type=click.IntRange(min=1),
    help="The log up to and including this position of the backed-up store.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def restore_(
    directory: Path,
    url: str,
    until: datetime | int | None,
    position: int | None,
    as_json: bool,
) -> None:
    """Rebuild the ledger backed up in DIRECTORY in a new, empty store, whole or up to a point.

    Every check of 'sla-ledger import' applies; a damaged backup is refused,
    naming the line, and nothing is written. The restored log's digest
    (SIZE:ROOT, as 'sla-ledger digest' prints it) is that of the backed-up log
    at that size.

    \b
    Example:
      sla-ledger restore /backups/ledger --to sqlite:///restored.db
      sla-ledger restore /backups/ledger --to sqlite:///r.db --until 2026-04-15T12:00:00Z
      sla-ledger restore /backups/ledger --to sqlite:///r.db --until 1200
      sla-ledger restore /backups/ledger --to sqlite:///r.db --position 1375
    """
    try:
        store_env(url)
    except StoreError as error:
        raise click.BadParameter(str(error), param_hint="'--to'") from None
    with fmt.progress_bar(f"restoring {directory.name}") as advance:
        report = restore(directory, url, until=until, position=position, on_progress=advance)
    if as_json:
        print_json(_restore_json(report))
        return
    upto = "" if report.last_position is None else f", up to log position {report.last_position}"
    click.echo(
        f"restored {report.events} of the backup's {report.backup_events} events "
        f"into {report.target}{upto}"
    )
    if report.last_recorded_at is not None:
        click.echo(f"the last restored event was recorded at {_instant(report.last_recorded_at)}")
    click.echo(f"the restored log's digest: {report.digest}")
    click.echo(f"the backup last read its store at {_instant(report.backup_updated_at)}")
    if report.splits_instant:
        click.echo(f"warning: {SPLIT}", err=True)


SPLIT = (
    "the last event restored and the first one left out were recorded at the same instant: "
    "if they were one transaction (a month close records its statements and credits at one "
    "instant), the restored store holds part of it (docs/recovery.md)"
)


def _restore_json(report: RestoreReport) -> dict[str, Any]:
    return {
        "directory": str(report.path),
        "target": report.target,
        "events": report.events,
        "probes": report.probes,
        "backup_events": report.backup_events,
        "last_position": report.last_position,
        "last_recorded_at": _instant(report.last_recorded_at),
        "backup_updated_at": _instant(report.backup_updated_at),
        "digest": report.digest,
        "splits_instant": report.splits_instant,
    }


def _positions(first: int | None, last: int | None) -> str:
    return "" if last is None else f" (log positions {first} to {last})"


def _instant(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")
