"""Rich rendering of an ``Explanation``: sections a person reads top to bottom.

Instants of evidence are shown in UTC, as the log records them; the month's
bounds also in the contract's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from sla_ledger.cli.support_view import response_view
from sla_ledger.domain.explanation import (
    Edge,
    Evidence,
    Explanation,
    IncidentEvidence,
    InvalidationEvidence,
    MaintenanceSummary,
    ProbeCitation,
    ProbeEvidence,
    SilenceEvidence,
    StalenessEvidence,
)
from sla_ledger.domain.statement import EventRef
from sla_ledger.formatting import KEY_STYLE, duration, local, money, note, percent, utc


def explanation_view(x: Explanation) -> RenderableType:
    """Every section of an explanation, the arithmetic last."""
    parts: list[RenderableType] = [_header(x)]
    if x.discrepancies:
        parts.append(_discrepancies(x))
    parts.append(_section("Down and unknown periods", _periods(x)))
    if x.absorbed:
        parts.append(_section("Failures absorbed by redundancy (R4)", _absorbed(x)))
    if x.blips:
        title = f"Blips counted as up (R7: down for less than {duration(x.min_downtime)})"
        parts.append(_section(title, _blips(x)))
    if x.incidents:
        parts.append(_incidents(x))
    parts.append(_maintenance(x.maintenance))
    if x.statement.exclusions:
        parts.append(_exclusions(x))
    if x.corrections:
        parts.append(_section("Corrections (R6)", _corrections(x)))
    parts.append(_arithmetic(x))
    if x.response is not None and x.response_status is not None:
        parts.append(response_view(x.response, x.response_status))
    return Group(*parts)


def _header(x: Explanation) -> RenderableType:
    s, zone = x.statement, x.time_zone
    table = Table(box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.title = f"[bold]Explanation[/] · {x.customer} · {x.contract_id} / {x.line_id} · {x.month}"
    table.add_column(style=KEY_STYLE)
    table.add_column()
    if x.issued:
        status = f"[green]issued[/], version {x.version}"
    else:
        status = (
            f"[yellow]not issued[/]: the figures as known at {utc(s.known_at)}, measured up to then"
        )
    sv = x.service
    active = (
        f"{local(x.active_from, zone)} → {local(x.active_until, zone)}"
        if x.active_from and x.active_until
        else "none"
    )
    rows = [
        ("statement", status),
        ("computed", f"as known at {utc(s.known_at)}, at log position {x.log_position}"),
        ("log digest", str(x.log_digest or "- (not recorded on this statement)")),
        ("replayed", f"log positions 1 to {x.replayed_to} of this store"),
        ("month", f"{local(x.period_start, zone)} → {local(x.period_end, zone)} ({zone})"),
        ("active", active),
        ("service", f"{sv.service_id}: targets {', '.join(sv.targets)}"),
        (
            "probing",
            f"from {', '.join(sv.locations)} every {duration(sv.probe_interval)}; a view goes "
            f"stale after {duration(sv.staleness)}; quorum {sv.quorum} of {len(sv.locations)}",
        ),
        ("reproduced", "[green]yes[/]" if x.consistent else "[bold red]NO: see discrepancies[/]"),
    ]
    if x.as_known_at is not None:
        rows.insert(1, ("as known at", utc(x.as_known_at)))
    for key, value in rows:
        table.add_row(key, value)
    return table


def _discrepancies(x: Explanation) -> RenderableType:
    table = Table("figure", "issued", "derived", box=box.SIMPLE)
    for d in x.discrepancies:
        table.add_row(d.field, d.issued, d.derived)
    return Panel(
        table,
        title="[bold red]DISCREPANCY: the derivation does not reproduce the statement[/]",
        border_style="red",
    )


def _section(title: str, items: Sequence[RenderableType]) -> RenderableType:
    body: list[RenderableType] = list(items) or [note("none")]
    return Group(f"\n[bold]{title}[/]", *body)


def _periods(x: Explanation) -> list[RenderableType]:
    trees: list[RenderableType] = []
    for number, p in enumerate(x.periods, 1):
        counted = f"counted {duration(p.counted)}"
        if p.excluded:
            counted += f", {duration(p.excluded)} excluded (maintenance or an exclusion)"
        if p.active != p.duration:
            counted += f", {duration(p.active)} inside the active period"
        tree = _span(
            f"{number}. [bold]{p.state}[/] {utc(p.start)} → {utc(p.end)} "
            f"({duration(p.duration)}; {counted})",
            ("opened by", p.opened_by),
            ("closed by", p.closed_by),
        )
        if p.corrections:
            removed = tree.add("[bold]probes removed by corrections[/]")
            for c in p.corrections:
                removed.add(_evidence(c))
        trees.append(tree)
    return trees


def _edge(tree: Tree, edge: Edge) -> None:
    if edge.before is None:
        tree.label = f"{tree.label}: already {edge.after} when the computed window began"
    elif edge.after is None:
        tree.label = f"{tree.label}: still {edge.before} when the computed window ended"
    elif edge.before == edge.after:  # an instance whose component changed around it (R4)
        tree.label = f"{tree.label}: still {edge.after} at {utc(edge.at)}, its component changed"
    else:
        tree.label = f"{tree.label}: {edge.before} → {edge.after} at {utc(edge.at)}"
    for t in edge.targets:
        before = "" if t.before is None else f"{t.before} → "
        tree.add(
            f"target {t.target}: {before}{t.after} ({t.views_down} down, {t.views_up} up, "
            f"{t.views_unknown} unknown of its views; quorum {t.quorum})"
        )
    for c in edge.components:
        before = "" if c.before is None else f"{c.before} → "
        kind = "component" if c.critical else "non-critical component"
        tree.add(
            f"{kind} {c.component}: {before}{c.after} ({c.instances_up} up, "
            f"{c.instances_down} down, {c.instances_unknown} unknown; "
            f"min healthy {c.min_healthy})"
        )
    for e in edge.evidence:
        tree.add(_evidence(e))


def _evidence(e: Evidence) -> str:
    if isinstance(e, ProbeEvidence):
        return f"probe: {_probe(e.probe)}"
    if isinstance(e, StalenessEvidence):
        return (
            f"stale from {utc(e.expired_at)}: {e.location} sent no probe of {e.target} for "
            f"{duration(e.staleness)} after {_probe(e.last_probe)}"
        )
    if isinstance(e, SilenceEvidence):
        return f"no probe: {e.location} had no valid probe of {e.target} (unknown)"
    if isinstance(e, IncidentEvidence):
        what = {"start": "began", "end": "ended", "in force": "in force"}[e.edge]
        return f"incident {what}: {e.incident_id} {e.reason!r} (see Incidents)"
    assert isinstance(e, InvalidationEvidence)
    return (
        f"removed: {_probe(e.probe)}; by {_ref(e.correction)}, position {e.position}: {e.reason!r}"
    )


def _probe(p: ProbeCitation) -> str:
    saw = f"{p.location} saw {p.target} [bold]{p.outcome}[/] at {utc(p.at)}"
    if p.batch is None:
        return f"{saw} ([red]not found in the log[/])"
    return f"{saw}; log position {p.position}, series {p.series}, index {p.index} ({_ref(p.batch)})"


def _ref(ref: EventRef) -> str:
    return (
        f"{ref.type} {ref.originator_id} v{ref.originator_version}, recorded {utc(ref.recorded_at)}"
    )


def _absorbed(x: Explanation) -> list[RenderableType]:
    return [
        _span(
            f"[bold]{a.target}[/] (zone {a.zone}) down {utc(a.start)} → {utc(a.end)} "
            f"({duration(a.duration)}); component {a.component} stayed up",
            ("went down", a.opened_by),
            ("came back", a.closed_by),
        )
        for a in x.absorbed
    ]


def _blips(x: Explanation) -> list[RenderableType]:
    return [
        _span(
            f"down {utc(b.start)} → {utc(b.end)} ({duration(b.duration)}): counted as up",
            ("opened by", b.opened_by),
            ("closed by", b.closed_by),
        )
        for b in x.blips
    ]


def _span(label: str, *edges: tuple[str, Edge]) -> Tree:
    tree = Tree(label)
    for name, edge in edges:
        _edge(tree.add(f"[bold]{name}[/]"), edge)
    return tree


def _incidents(x: Explanation) -> RenderableType:
    lines: list[RenderableType] = []
    for i in x.incidents:
        end = "open" if i.end is None else utc(i.end)
        tree = Tree(f"[bold]{i.incident_id}[/] {i.reason!r}: down {utc(i.start)} → {end}")
        tree.add(f"declared by {_ref(i.declared)}")
        for r in i.resolutions:
            tree.add(f"resolved by {_ref(r)}")
        lines.append(tree)
    return _section("Incidents (R5)", lines)


def _maintenance(m: MaintenanceSummary) -> RenderableType:
    title = (
        f"Maintenance (R8): notice {duration(m.notice)}, cap {duration(m.cap)} a month: "
        f"{duration(m.used)} used, {duration(m.left)} left"
    )
    trees: list[RenderableType] = []
    for w in m.windows:
        tree = Tree(
            f"[bold]{w.status}[/]: {utc(w.start)} → {utc(w.end)}, {w.why} "
            f"(lead {duration(w.lead)}, notice {duration(w.notice)})"
        )
        excluded = f"in the active period {duration(w.in_period)}, excluded {duration(w.excluded)}"
        if w.over_cap:
            excluded += f", {duration(w.over_cap)} beyond the cap"
        if w.cap_left is not None:
            excluded += f", cap left after it {duration(w.cap_left)}"
        tree.add(excluded)
        for step in w.history:
            tree.add(f"{_ref(step.event)}: {utc(step.start)} → {utc(step.end)}")
        if w.cancelled is not None:
            tree.add(f"{_ref(w.cancelled.event)}: {w.cancelled.reason!r}")
        trees.append(tree)
    if not trees:
        trees.append(note("no announcement touches the active period"))
    return _section(title, trees)


def _excluded_label(x: Explanation) -> str:
    if any(e.status == "applied" for e in x.statement.exclusions):
        return "- excluded (maintenance, exclusions)"
    return "- excluded maintenance"


def _exclusions(x: Explanation) -> RenderableType:
    trees: list[RenderableType] = []
    for e in x.statement.exclusions:
        tree = Tree(
            f"[bold]{e.status}[/]: {e.category} {utc(e.start)} → {utc(e.end)}, "
            f"excluded {duration(e.excluded)}"
        )
        tree.add(f"decided by {e.decided_by!r}: {e.reason!r}, recorded {utc(e.recorded_at)}")
        trees.append(tree)
    return _section("Exclusions besides maintenance (docs/rules.md)", trees)


def _corrections(x: Explanation) -> list[RenderableType]:
    trees: list[RenderableType] = []
    for c in x.corrections:
        tree = Tree(f"{_ref(c.correction)} at position {c.position}: {c.reason!r}")
        for p in c.probes:
            tree.add(_probe(p))
        trees.append(tree)
    return trees


def _arithmetic(x: Explanation) -> RenderableType:
    a = x.arithmetic
    table = _table("Arithmetic (R9, R10)", ("step", "value"))
    unknown_note = "counted" if a.unknown_counts_as == "unavailable" else "not counted"
    eligible_s, unavailable_s = _seconds(a.eligible), _seconds(a.unavailable)
    rows = [
        ("month length", duration(a.month_length)),
        ("- not active", duration(a.inactive)),
        ("= active", duration(a.active)),
        (_excluded_label(x), duration(a.excluded)),
        ("= eligible", duration(a.eligible)),
        ("down (within eligible)", duration(a.down)),
        (f"unknown ({unknown_note}: {a.unknown_counts_as})", duration(a.unknown)),
        ("= unavailable", duration(a.unavailable)),
        (
            "availability",
            f"({eligible_s} - {unavailable_s}) / {eligible_s} s = {a.availability} "
            f"= [bold]{a.availability_percent} %[/] (truncated)",
        ),
        ("target", f"{percent(a.target)}: {'met' if a.met else '[red]not met[/]'}"),
    ]
    for t in a.tiers:
        mark = "applies" if t.applies else "does not apply"
        rows.append((f"tier below {percent(t.below)}", f"{percent(t.credit)}: {mark}"))
    rows += [
        ("credit tier", percent(a.credit_percent) if a.credit_percent else "none applies"),
        (
            "base",
            f"{money(a.monthly_fee, a.currency)} x active / month ({a.proration}) "
            f"= {a.base_exact} → {money(a.base, a.currency)}",
        ),
        (
            "credit",
            f"base x min({percent(a.credit_percent)}, max {percent(a.max_credit)}) "
            f"= {a.credit_exact} → {money(a.credit_rounded, a.currency)} (half-up)",
        ),
        ("minimum credit", money(a.minimum_credit, a.currency)),
        ("= credit", f"[bold]{money(a.credit, a.currency)}[/]"),
    ]
    for step, value in rows:
        table.add_row(step, value)
    return table


def _seconds(value: timedelta) -> str:
    return f"{Decimal(value // timedelta(microseconds=1)).scaleb(-6).normalize():f}"


def _table(title: str, columns: Iterable[str]) -> Table:
    return Table(*columns, title=f"\n{title}", title_justify="left", box=box.SIMPLE, padding=(0, 1))
