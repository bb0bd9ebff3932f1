"""Rich renderings and JSON shapes of the ledger's figures, for the CLI."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sla_ledger import Contract, CreditEntry, Service, Statement
from sla_ledger.domain.time import format_duration

KEY_STYLE = "bold cyan"


def duration(value: timedelta) -> str:
    """Exact and readable: ``47m 0s``, ``2h 00m 0s``; ``0`` for nothing."""
    micros = value // timedelta(microseconds=1)
    return format_duration(micros) if micros else "0"


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,} {currency}"


def percent(value: Decimal) -> str:
    return f"{value.normalize():f} %"


def local(instant: datetime, zone: str) -> str:
    """An instant in a contract's zone: ``2026-03-12 15:03:00 CET``."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def utc(instant: datetime) -> str:
    return instant.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%SZ")


def statement_view(statement: Statement, status: str) -> RenderableType:
    """One statement: its figures, then the evidence behind them."""
    s, zone = statement, statement.time_zone
    mark = "[green]issued[/]" if status == "issued" else "[yellow]provisional: not issued yet[/]"
    title = (
        f"[bold]{s.customer}[/] · {s.contract_id} / {s.line_id} · {s.month} ({zone})"
        f" · v{s.version} {mark}"
    )
    figures = Table(box=box.SIMPLE_HEAD, show_header=False, title=title, title_justify="left")
    figures.add_column(style=KEY_STYLE)
    figures.add_column()
    unknown_note = "counts as unavailable" if s.unknown_counts_as == "unavailable" else "counts up"
    met = "[green]yes[/]" if s.met else "[red]no[/]"
    rows = [
        ("service", s.service),
        (
            "period",
            f"{local(s.period_start, zone)} → {local(s.period_end, zone)}"
            f" ({duration(s.month_length)})",
        ),
        ("active", duration(s.active)),
        ("excluded (maintenance)", duration(s.excluded)),
        ("eligible", duration(s.eligible)),
        ("down", duration(s.down)),
        ("unknown", f"{duration(s.unknown)} ({unknown_note})"),
        ("availability", f"[bold]{s.availability_percent} %[/] (exact {s.availability})"),
        ("target", f"{percent(s.target)}, met: {met}"),
        (
            "credit",
            f"[bold]{money(s.credit, s.currency)}[/] ({percent(s.credit_percent)} of "
            f"{money(s.base, s.currency)})",
        ),
        ("known at", f"{utc(s.known_at)} (log position {s.log_position})"),
    ]
    for key, value in rows:
        figures.add_row(key, value)
    parts: list[RenderableType] = [figures]
    parts.extend(_evidence(s))
    return Group(*parts)


def _evidence(s: Statement) -> Iterable[RenderableType]:
    zone = s.time_zone
    if s.outages:
        yield _table(
            "Outages",
            ("start", "end", "duration", "cause"),
            [(local(o.start, zone), local(o.end, zone), duration(o.duration), o.cause)
             for o in s.outages],
        )
    if s.absorbed_failures:
        yield _table(
            "Failures absorbed by redundancy",
            ("instance", "zone", "start", "end", "duration"),
            [
                (a.target, a.zone, local(a.start, zone), local(a.end, zone), duration(a.duration))
                for a in s.absorbed_failures
            ],
        )
    if s.maintenance:
        yield _table(
            "Maintenance",
            ("window", "announced", "notice", "status", "excluded"),
            [
                (
                    f"{local(m.start, zone)} → {local(m.end, zone)}",
                    local(m.recorded_at, zone),
                    duration(m.lead),
                    m.status,
                    duration(m.excluded),
                )
                for m in s.maintenance
            ],
        )
    for title, refs in (("Corrections", s.corrections), ("Changed by", s.changed_by)):
        if refs:
            yield _table(
                title,
                ("event", "stream", "version", "recorded"),
                [(r.type, str(r.originator_id), str(r.originator_version), utc(r.recorded_at))
                 for r in refs],
            )


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    table = Table(*columns, title=title, title_justify="left", box=box.SIMPLE, padding=(0, 1))
    for row in rows:
        table.add_row(*row)
    return table


def statements_table(statements: Sequence[Statement], title: str) -> Table:
    """A line per statement: availability, target, credit."""
    table = _table(
        title,
        ("contract", "line", "month", "version", "availability", "target", "met", "credit"),
        [],
    )
    for s in statements:
        table.add_row(
            s.contract_id,
            s.line_id,
            s.month,
            f"v{s.version}" + (" (restated)" if s.version > 1 else ""),
            f"{s.availability_percent} %",
            percent(s.target),
            "yes" if s.met else "no",
            money(s.credit, s.currency),
        )
    return table


def credits_table(entries: Sequence[CreditEntry]) -> Table:
    table = _table(
        "Credits",
        ("position", "kind", "contract", "line", "month", "amount", "statement", "recorded"),
        [],
    )
    for column in (0, 5):
        table.columns[column].justify = "right"
    for c in entries:
        table.add_row(
            str(c.position),
            c.kind,
            c.contract_id,
            c.line_id,
            c.month,
            money(c.amount, c.currency),
            f"v{c.statement_version}",
            utc(c.recorded_at),
        )
    return table


def credit_json(entry: CreditEntry) -> dict[str, Any]:
    return {
        "position": entry.position,
        "kind": entry.kind,
        "contract_id": entry.contract_id,
        "line_id": entry.line_id,
        "month": entry.month,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "statement_version": entry.statement_version,
        "recorded_at": entry.recorded_at.isoformat(),
    }


def services_table(services: Sequence[Service]) -> Table:
    table = _table(
        "Services", ("service", "locations", "interval", "quorum", "staleness", "components"), []
    )
    for s in services:
        parts = [
            f"{c.name}{'' if c.critical else ' (non-critical)'}: {len(c.instances)} instances "
            f"in {', '.join(i.zone for i in c.instances)}, min healthy {c.min_healthy}"
            for c in s.components
        ]
        table.add_row(
            s.service_id,
            ", ".join(s.locations),
            duration(s.probe_interval),
            str(s.effective_quorum),
            duration(s.effective_staleness),
            "\n".join(parts) or "-",
        )
    return table


def contracts_table(contracts: Sequence[Contract]) -> Table:
    table = _table(
        "Contracts", ("contract", "customer", "region", "time zone", "starts", "lines"), []
    )
    for c in contracts:
        lines = [
            f"{x.line_id}: {x.service}, {money(x.monthly_fee, x.currency)}/month, "
            f"target {percent(x.target)}"
            for x in c.lines
        ]
        table.add_row(
            c.contract_id,
            c.customer,
            c.region,
            c.time_zone,
            local(c.starts_at, c.time_zone),
            "\n".join(lines),
        )
    return table


def story_table(story: Iterable[tuple[datetime, str, str, str]]) -> Table:
    """What happened in a month (UTC), and what it should do to the figures."""
    return _table(
        "What happened (UTC)",
        ("when", "service", "what", "expected effect"),
        [(utc(at)[:-4] + "Z", service, what, effect) for at, service, what, effect in story],
    )


def note(text: str) -> Text:
    return Text(text, style="dim")
