"""Rich renderings of response statements, for ``sla-ledger statement`` and ``case``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table

from sla_ledger import CaseSummary, CaseTarget, LineCredit, ResponseStatement
from sla_ledger.formatting import (
    KEY_STYLE,
    duration,
    local,
    money,
    note,
    percent,
    terms_text,
    utc,
)


def response_view(r: ResponseStatement, status: str) -> RenderableType:
    """A response statement: its figures, its credits per line, then its cases and targets."""
    zone = r.time_zone
    mark = "[green]issued[/]" if status == "issued" else "[yellow]provisional: not issued yet[/]"
    title = (
        f"[bold]{r.customer}[/] · {r.contract_id} · responses · {r.month} ({zone})"
        f" · v{r.version} {mark}"
    )
    figures = Table(box=box.SIMPLE_HEAD, show_header=False, title=title, title_justify="left")
    figures.add_column(style=KEY_STYLE)
    figures.add_column()
    rows = [
        ("support tier", r.tier or "none this month (earlier cases still judged)"),
        ("period", f"{local(r.period_start, zone)} → {local(r.period_end, zone)}"),
        ("cases", str(len(r.cases))),
        ("targets", f"{r.met} met, [bold]{r.missed} missed[/], {r.pending} not yet due"),
        ("response credit", percent(r.response_credit_percent) + " of each line's fee"),
        *((f"credit {x.line_id}", line_text(x)) for x in r.lines),
        ("terms", terms_text(r.terms)),
        ("known at", f"{utc(r.known_at)} (log position {r.log_position})"),
    ]
    for key, value in rows:
        figures.add_row(key, value)
    parts: list[RenderableType] = [figures]
    if r.pending:
        parts.append(note("Targets not yet due are judged when they fall due or are answered."))
    parts.extend(_tables(r))
    return Group(*parts)


def line_text(x: LineCredit) -> str:
    """Availability + response = combined, under the line's one cap."""
    return (
        f"{money(x.availability_credit, x.currency)} availability + "
        f"[bold]{money(x.response_credit, x.currency)}[/] response = "
        f"{money(x.combined_credit, x.currency)} ({percent(x.combined_percent)} of "
        f"{money(x.base, x.currency)}, availability statement v{x.statement_version})"
    )


def _tables(r: ResponseStatement) -> Iterable[RenderableType]:
    zone = r.time_zone
    if r.worst_misses:
        yield table("Worst misses", _TARGET_COLUMNS, [_target(t, zone) for t in r.worst_misses])
    if r.targets:
        yield table(
            "Targets due this month", _TARGET_COLUMNS, [_target(t, zone) for t in r.targets]
        )
    if r.cases:
        yield table(
            "Cases",
            ("case", "subject", "severity", "opened", "first response", "resolved"),
            [_case(c, zone) for c in r.cases],
        )
    if r.changed_by:
        yield table(
            "Changed by",
            ("event", "stream", "version", "recorded"),
            [
                (x.type, str(x.originator_id), str(x.originator_version), utc(x.recorded_at))
                for x in r.changed_by
            ],
        )


_TARGET_COLUMNS = (
    "case",
    "target",
    "severity, time",
    "due",
    "answered",
    "status",
    "late by",
    "credit",
)


def _target(t: CaseTarget, zone: str) -> tuple[str, ...]:
    status = {"met": "[green]met[/]", "missed": "[red]missed[/]"}.get(t.status, t.status)
    return (
        str(t.case_id)[:8],
        t.kind,
        f"{t.severity}, {t.clock}",
        local(t.due, zone),
        "-" if t.answered_at is None else local(t.answered_at, zone),
        status,
        "-" if t.late_by is None else duration(t.late_by),
        percent(t.credit_percent) if t.credit_percent else "-",
    )


def _case(c: CaseSummary, zone: str) -> tuple[str, ...]:
    return (
        str(c.case_id)[:8],
        c.subject or "-",
        c.severity,
        local(c.opened_at, zone),
        "-" if c.first_response_at is None else local(c.first_response_at, zone),
        "-" if c.resolved_at is None else local(c.resolved_at, zone),
    )


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A titled table of plain rows."""
    table = Table(*columns, title=title, title_justify="left", box=box.SIMPLE, padding=(0, 1))
    for row in rows:
        table.add_row(*row)
    return table
