"""Rich renderings and JSON shapes of the ledger's figures, for the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sla_ledger import Contract, CreditEntry, Service, Statement, TermsInForce, demo
from sla_ledger.importers.report import ImportReport

KEY_STYLE = "bold cyan"
_US = timedelta(microseconds=1)


def duration(value: timedelta) -> str:
    """Exact and readable: ``743h``, ``1h 5m``, ``47m``, ``30.5s``; ``0s`` for nothing."""
    micros = value // _US
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    parts = [f"{hours}h"] if hours else []
    parts += [f"{minutes}m"] if minutes else []
    if seconds or fraction or not parts:
        parts.append(f"{seconds}" + (f".{fraction:06d}".rstrip("0") if fraction else "") + "s")
    return sign + " ".join(parts)


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
        (_excluded(s), duration(s.excluded)),
        ("eligible", duration(s.eligible)),
        ("down", duration(s.down)),
        ("unknown", f"{duration(s.unknown)} ({unknown_note})"),
        ("availability", f"[bold]{s.availability_percent} %[/] (exact {s.availability})"),
        ("target", f"{percent(s.target)}, met: {met}"),
        ("credit", _credit(s)),
        ("terms", terms_text(s.terms)),
        ("known at", f"{utc(s.known_at)} (log position {s.log_position})"),
    ]
    if s.log_digest is not None:
        rows.append(("computed from log", str(s.log_digest)))
    for key, value in rows:
        figures.add_row(key, value)
    parts: list[RenderableType] = [figures]
    if status != "issued" and s.known_at < s.period_end:
        parts.append(
            note(
                f"The month was not over at {utc(s.known_at)}: the time after it has no "
                "evidence yet and counts as unknown."
            )
        )
    parts.extend(_evidence(s))
    return Group(*parts)


def _excluded(s: Statement) -> str:
    applied = any(x.status == "applied" for x in s.exclusions)
    return "excluded (maintenance, exclusions)" if applied else "excluded (maintenance)"


def terms_text(terms: TermsInForce | None) -> str:
    """``v2 sha256:…`` and whether an amendment starts this month."""
    if terms is None:
        return "not recorded (statement from before terms hashes)"
    since = (
        "amended: applies from this month" if terms.amended_this_month else f"since {terms.since}"
    )
    return f"v{terms.version} sha256:{terms.sha256} ({since})"


def _credit(s: Statement) -> str:
    if s.credit > 0:
        share = f"{percent(s.credit_percent)} of {money(s.base, s.currency)}"
        return f"[bold]{money(s.credit, s.currency)}[/] ({share})"
    if s.credit_percent > 0:
        return f"none ({percent(s.credit_percent)} of {money(s.base, s.currency)} is too small)"
    return "none (no credit tier applies)"


def _evidence(s: Statement) -> Iterable[RenderableType]:
    zone = s.time_zone
    if s.outages:
        yield _table(
            "Outages",
            ("start", "end", "duration", "cause", "detected after"),
            [
                (
                    local(o.start, zone),
                    local(o.end, zone),
                    duration(o.duration),
                    o.cause,
                    "-" if o.detection_latency is None else duration(o.detection_latency),
                )
                for o in s.outages
            ],
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
    if s.exclusions:
        yield _table(
            "Exclusions (decided, not maintenance)",
            ("category", "window", "decided by", "reason", "status", "excluded"),
            [
                (x.category, f"{local(x.start, zone)} → {local(x.end, zone)}", x.decided_by,
                 x.reason, x.status, duration(x.excluded))
                for x in s.exclusions
            ],
        )  # fmt: skip
    for title, refs in (("Corrections", s.corrections), ("Changed by", s.changed_by)):
        if refs:
            yield _table(
                title,
                ("event", "stream", "version", "recorded"),
                [
                    (r.type, str(r.originator_id), str(r.originator_version), utc(r.recorded_at))
                    for r in refs
                ],
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
            money(s.credit, s.currency) if s.credit > 0 else "none",
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


def rejections_table(report: ImportReport, shown: int, refused: bool) -> Table:
    """The first ``shown`` rows an import rejected: where, the value, why."""
    rows = report.rejections[:shown]
    title = f"Rejected: {report.rejected:,}" + (" (nothing was recorded)" if refused else "")
    table = _table(title, ("where", "value", "reason"), [])
    for r in rows:  # as plain text: a reason may quote "[[target]]", which is not markup
        table.add_row(Text(r.where), Text(r.value or ""), Text(r.reason))
    if len(report.rejections) > len(rows):
        table.caption = f"the first {len(rows)}; --json lists {len(report.rejections)}"
    return table


def demo_view(result: demo.DemoResult, url: str, seconds: float) -> RenderableType:
    """The demo: its story, every statement and the credits feed."""
    story = _table(
        "What happened (UTC)",
        ("when", "service", "what", "expected effect"),
        [(utc(h.at)[:-4] + "Z", h.service, h.what, h.effect) for h in demo.STORY],
    )
    return Group(
        f"[bold]sla-ledger demo[/]: {demo.MONTH} in {url}",
        f"3 services, 2 contracts, {result.probes:,} probes in {result.batches} batches: "
        f"built and closed in {seconds:.1f} s",
        story,
        *(statement_view(s, "issued") for s in result.statements),
        credits_table(result.credits),
        note(
            "Both contracts are one-month pilots. Explore: "
            f"sla-ledger --url {url} statement --contract acme-eu --month {demo.MONTH}"
        ),
    )


def console() -> Console:
    """Standard output; pipes and files get 120 columns, not 80-column wraps."""
    out = Console(highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 120
    return out


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (only on a terminal), fed ``(done, total)``."""
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def note(text: str) -> Text:
    return Text(text, style="dim")
