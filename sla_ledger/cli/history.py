"""``sla-ledger diff``: a month's statement as known at two instants, and what changed (R14)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import click
from pydantic import BaseModel
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table

from sla_ledger import Statement
from sla_ledger import formatting as fmt
from sla_ledger.audit.history import contract_lines, statement_diff
from sla_ledger.cli.app import INSTANT, common_options, main, print_json, store
from sla_ledger.domain.comparison import StatementDiff
from sla_ledger.domain.statement import EventRef


@main.command()
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.option("--line", "line_id", help="Line id (default: every line of the contract).")
@click.option("--month", required=True, help="Measurement month, YYYY-MM.")
@click.option("--from", "from_", type=INSTANT, required=True, help="The earlier instant.")
@click.option("--to", type=INSTANT, help="The later instant (default: now).")
@click.option(
    "--issued", is_flag=True, help="Compare the issued versions current at the two instants."
)
@common_options
@click.pass_context
def diff(
    ctx: click.Context,
    contract_id: str,
    line_id: str | None,
    month: str,
    from_: datetime,
    to: datetime | None,
    issued: bool,
    as_json: bool,
) -> None:
    """Show how a month's statement changed between what was known at two instants.

    By default the figures are computed from the events recorded by each
    instant; with --issued, the statement versions issued by then are
    compared. Lists the changed figures, outages, maintenance and corrections
    added or removed, and the evidence recorded in between that bears on the
    month.

    \b
    Example:
      sla-ledger diff --contract acme-eu --month 2026-03 --from 2026-04-01T02:00:00Z
      sla-ledger diff --contract acme-eu --month 2026-03 --from 2026-04-01T02:00:00Z \\
          --to 2026-04-15T00:00:00Z --issued --json
    """
    ledger = store(ctx)
    later = to or ledger.clock.now()
    if from_ > later:
        what = f"--to {to.isoformat()}" if to else f"now ({later.isoformat()})"
        raise click.BadParameter(
            f"{from_.isoformat()} is later than {what}: give the earlier instant first",
            param_hint="'--from'",
        )
    lines = [line_id] if line_id else contract_lines(ledger, contract_id, month, to)
    diffs = [statement_diff(ledger, contract_id, x, month, from_, to, issued) for x in lines]
    if as_json:
        print_json([diff_json(d) for d in diffs])
        return
    console = fmt.console()
    for found in diffs:
        console.print(diff_view(found))


def diff_json(d: StatementDiff) -> dict[str, Any]:
    """A diff for machines: changed figures as they appear in a statement's JSON."""
    before, after = d.before.model_dump(mode="json"), d.after.model_dump(mode="json")
    return {
        "contract_id": d.after.contract_id,
        "line_id": d.after.line_id,
        "month": d.after.month,
        "before": {k: before[k] for k in ("version", "known_at", "log_position")},
        "after": {k: after[k] for k in ("version", "known_at", "log_position")},
        "changed": d.changed,
        "figures": {name: {"before": before[name], "after": after[name]} for name in d.figures},
        "outages": _lists(d.outages_added, d.outages_removed),
        "absorbed_failures": _lists(d.absorbed_added, d.absorbed_removed),
        "maintenance": _lists(d.maintenance_added, d.maintenance_removed),
        "corrections": _lists(d.corrections_added, d.corrections_removed),
        "evidence": _dump(d.evidence),
    }


def _lists(added: Sequence[BaseModel], removed: Sequence[BaseModel]) -> dict[str, Any]:
    return {"added": _dump(added), "removed": _dump(removed)}


def _dump(items: Sequence[BaseModel]) -> list[Any]:
    return [item.model_dump(mode="json") for item in items]


def diff_view(d: StatementDiff) -> RenderableType:
    """A diff for people: a header, the changed figures, then each list's changes."""
    a, b = d.before, d.after
    title = (
        f"[bold]{b.customer}[/] · {b.contract_id} / {b.line_id} · {b.month}\n"
        f"  before: v{a.version} as known at {fmt.utc(a.known_at)}\n"
        f"  after:  v{b.version} as known at {fmt.utc(b.known_at)}"
    )
    if not d.changed:
        return Group(title, fmt.note("No change."), *_evidence(d.evidence))
    figures = _table("Figures", ("figure", "before", "after"), [])
    for name in d.figures:
        figures.add_row(name, shown(a, name), shown(b, name))
    return Group(title, figures, *_lists_view(d), *_evidence(d.evidence))


def shown(s: Statement, name: str) -> str:
    """One field of a statement, as the statement view shows it."""
    value = getattr(s, name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return fmt.duration(value)
    if isinstance(value, datetime):
        return fmt.utc(value)
    if name in ("base", "credit"):
        return fmt.money(value, s.currency)
    if name in ("target", "credit_percent"):
        return fmt.percent(value)
    return f"{value} %" if name == "availability_percent" else str(value)


def _lists_view(d: StatementDiff) -> Iterable[RenderableType]:
    zone = d.after.time_zone

    def span(x: Any) -> tuple[str, str]:
        return fmt.local(x.start, zone), fmt.local(x.end, zone)

    lists: list[tuple[str, Sequence[str], Sequence[Any], Sequence[Any], _Row]] = [
        ("Outages", ("start", "end", "duration", "cause"), d.outages_added, d.outages_removed,
         lambda o: (*span(o), fmt.duration(o.duration), o.cause)),
        ("Failures absorbed by redundancy", ("instance", "zone", "start", "end"),
         d.absorbed_added, d.absorbed_removed, lambda x: (x.target, x.zone, *span(x))),
        ("Maintenance", ("start", "end", "status", "excluded"), d.maintenance_added,
         d.maintenance_removed, lambda m: (*span(m), m.status, fmt.duration(m.excluded))),
        ("Corrections", _REF_COLUMNS, d.corrections_added, d.corrections_removed, _ref),
    ]  # fmt: skip
    for title, columns, added, removed, row in lists:
        changes = [("added", x) for x in added] + [("removed", x) for x in removed]
        if changes:
            yield _table(title, ("", *columns), [(how, *row(x)) for how, x in changes])


def _evidence(refs: Sequence[EventRef]) -> Iterable[RenderableType]:
    if refs:
        yield _table(
            "Recorded in between, bearing on this month", _REF_COLUMNS, [_ref(r) for r in refs]
        )


_REF_COLUMNS = ("event", "stream", "version", "recorded")
_Row = Callable[[Any], tuple[str, ...]]


def _ref(r: EventRef) -> tuple[str, ...]:
    return (r.type, str(r.originator_id), str(r.originator_version), fmt.utc(r.recorded_at))


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    table = Table(*columns, title=title, title_justify="left", box=box.SIMPLE, padding=(0, 1))
    for row in rows:
        table.add_row(*row)
    return table
