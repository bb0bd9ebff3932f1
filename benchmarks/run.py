"""sla-ledger benchmarks: probe ingest and month close, each against a baseline run alongside.

    .venv/bin/python benchmarks/run.py [ingest|close|all] [--scale 0.1 | --small] [--profile]

``ingest``: 1,000,000 x scale probe results through ``SlaLedger.record_probes`` into the
SQLite default, batches of ``--batch`` probes, one commit each; against raw ``sqlite3``
``executemany`` of one row per probe (with and without a primary key on the probe id).

``close``: a month of probes (40 services x 3 locations every 30 s, x scale) with outages,
blips, incidents, maintenance, a monitoring gap and redundant components, and 1,000 x scale
contracts; ``close_due_months`` in a fresh process (open + fold, close, peak memory), against
a DuckDB query computing each service's R3 down time over the same probes. The generated
store is cached under ``benchmarks/.cache/`` keyed by the generator's parameters.

Prints a table, then one line of JSON (the last line of stdout) with every figure.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sla_ledger as sl

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

LOCATIONS = ("fra", "iad", "sin")
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
# Categories of the services without components, in turn. Only "outage", "clean" and "gap"
# are judged by R3 alone, so only they must match the DuckDB query exactly.
CYCLE = ("outage", "clean", "blip", "incident", "maintenance", "gap", "clean", "outage")
R3_ONLY = frozenset({"outage", "clean", "gap"})
WHY_DIFFERENT = {
    "blip": "R7: down periods under 60 s count as up",
    "incident": "R5: declared incidents are down whatever probes say",
    "maintenance": "R8: qualifying maintenance is excluded",
    "components": "R4: judged by its component's instances (no endpoint of its own)",
}


def us(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def dt(instant_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=instant_us)


def rss_mb(kilobytes: int) -> float:
    return kilobytes / 1024  # Linux reports ru_maxrss in KiB


# -- ingest ------------------------------------------------------------------------------------

INGEST_SERVICES = 40
INGEST_START = datetime(2026, 3, 2, tzinfo=UTC)


def ingest_services() -> list[sl.Service]:
    return [
        sl.Service(
            service_id=f"api-{i:02d}", locations=LOCATIONS, probe_interval=timedelta(seconds=30)
        )
        for i in range(INGEST_SERVICES)
    ]


def ingest_batches(total: int, batch: int) -> list[list[sl.Probe]]:
    """``total`` probes, every service from every location each 30 s, in time order."""
    services = [s.service_id for s in ingest_services()]
    probes: list[sl.Probe] = []
    tick = 0
    while len(probes) < total:
        base = INGEST_START + timedelta(seconds=30 * tick)
        ats = [base + timedelta(seconds=10 * j) for j in range(len(LOCATIONS))]
        for s, service in enumerate(services):
            for j, location in enumerate(LOCATIONS):
                ok = (tick * 31 + s * 7 + j) % 997 != 0
                latency = 20_000 + (tick * 7919 + s * 104_729 + j) % 30_000 if ok else None
                probes.append(sl.Probe(service, location, ats[j], ok, latency))
        tick += 1
    del probes[total:]
    return [probes[i : i + batch] for i in range(0, len(probes), batch)]


def naive_rows(batch: list[sl.Probe]) -> list[tuple[Any, ...]]:
    """What a naive ledger stores per probe: its natural id and RFC 3339 text."""
    rows = []
    for target, location, at, ok, latency in batch:
        text = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        rows.append(
            (
                f"{target}@{location}@{text}#{'up' if ok else 'down'}",
                target,
                location,
                text,
                int(ok),
                latency,
            )
        )
    return rows


BASELINES = {
    # name: (journal mode, table definition)
    "keyed": (
        "WAL",
        "CREATE TABLE probe (id TEXT PRIMARY KEY, target TEXT, location TEXT, at TEXT, "
        "ok INTEGER, latency_us INTEGER)",
    ),
    "plain": (
        "WAL",
        "CREATE TABLE probe (id TEXT, target TEXT, location TEXT, at TEXT, "
        "ok INTEGER, latency_us INTEGER)",
    ),
    "keyed_rollback": (
        "DELETE",
        "CREATE TABLE probe (id TEXT PRIMARY KEY, target TEXT, location TEXT, at TEXT, "
        "ok INTEGER, latency_us INTEGER)",
    ),
}


def run_baseline(name: str, batches: list[list[sl.Probe]], directory: Path) -> tuple[float, float]:
    journal, create = BASELINES[name]
    path = directory / f"baseline-{name}.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA journal_mode={journal}")
    connection.execute(create)
    insert = "INSERT INTO probe VALUES (?, ?, ?, ?, ?, ?)"
    start, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        rows = naive_rows(batch)
        connection.execute("BEGIN")
        connection.executemany(insert, rows)
        connection.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    count = connection.execute("SELECT count(*) FROM probe").fetchone()[0]
    connection.close()
    assert count == sum(map(len, batches)), (name, count)
    return elapsed, cpu


def run_ours(
    batches: list[list[sl.Probe]], directory: Path, profile: cProfile.Profile | None = None
) -> tuple[float, float]:
    url = f"sqlite:///{directory}/bench.db"
    clock = sl.ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    ledger = sl.open_ledger(url, clock=clock)
    for service in ingest_services():
        ledger.register_service(service)
    recorded = 0
    if profile:
        profile.enable()
    start, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        recorded += ledger.record_probes(batch).recorded
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profile:
        profile.disable()
    ledger.close()
    total = sum(map(len, batches))
    assert recorded == total, (recorded, total)
    # Committed: a fresh ledger on the same file knows the first batch already.
    again = sl.open_ledger(url, clock=clock).record_probes(batches[0])
    assert again.recorded == 0 and again.duplicates == len(batches[0]), again
    return elapsed, cpu


def bench_ingest(args: argparse.Namespace) -> dict[str, Any]:
    total = round(1_000_000 * args.scale)
    print(f"ingest: generating {total:,} probes in batches of {args.batch:,} ...", flush=True)
    batches = ingest_batches(total, args.batch)
    runs: dict[str, list[float]] = {"ours": [], **{name: [] for name in BASELINES}}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(args.repeat):
        for name in runs:
            with tempfile.TemporaryDirectory(prefix="sla-bench-") as directory:
                if name == "ours":
                    elapsed, cpu = run_ours(batches, Path(directory))
                else:
                    elapsed, cpu = run_baseline(name, batches, Path(directory))
            runs[name].append(elapsed)
            cpus[name].append(cpu)
            print(
                f"  run {repeat + 1}/{args.repeat} {name:>14}: {elapsed:7.2f} s "
                f"= {total / elapsed:10,.0f} probes/s (CPU {cpu:6.2f} s)",
                flush=True,
            )
    rate = {name: total / statistics.median(times) for name, times in runs.items()}
    best = {name: total / min(times) for name, times in runs.items()}
    cpu = {name: statistics.median(times) for name, times in cpus.items()}
    result: dict[str, Any] = {
        "probes": total,
        "batch": args.batch,
        "batches": len(batches),
        "repeat": args.repeat,
        "seconds": {name: [round(t, 3) for t in times] for name, times in runs.items()},
        "cpu_seconds": {name: [round(t, 3) for t in times] for name, times in cpus.items()},
        "probes_per_s": {name: round(r) for name, r in rate.items()},
        "best_probes_per_s": {name: round(r) for name, r in best.items()},
        "ratio_vs_keyed": round(rate["ours"] / rate["keyed"], 3),
        "ratio_vs_plain": round(rate["ours"] / rate["plain"], 3),
        "ratio_vs_keyed_rollback": round(rate["ours"] / rate["keyed_rollback"], 3),
        "best_ratio_vs_keyed": round(best["ours"] / best["keyed"], 3),
        "best_ratio_vs_plain": round(best["ours"] / best["plain"], 3),
        "cpu_ratio_vs_keyed": round(cpu["keyed"] / cpu["ours"], 3),
        "cpu_ratio_vs_plain": round(cpu["plain"] / cpu["ours"], 3),
    }
    result["target_met"] = result["ratio_vs_keyed"] >= 1.0
    if args.profile:
        profile = cProfile.Profile()
        with tempfile.TemporaryDirectory(prefix="sla-bench-") as directory:
            run_ours(batches, Path(directory), profile)
        result["profile"] = profile_text(profile, 18)
    return result


# -- the month ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthParams:
    """Everything the generated store depends on; its hash names the cache file."""

    services: int
    component_services: int
    contracts: int
    month: tuple[int, int] = (2026, 4)
    interval_s: int = 30
    batch_ticks: int = 25
    seed: int = 7
    version: int = 1  # bump when the generator changes

    @classmethod
    def at_scale(cls, scale: float) -> MonthParams:
        services = max(len(CYCLE), round(40 * scale))
        contracts = max(4 * services, round(1000 * scale))
        return cls(services, max(1, round(2 * scale)), contracts)

    def key(self) -> str:
        text = json.dumps([asdict(self), store_fingerprint()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def store_fingerprint() -> str:
    """What a stored month depends on besides the generator: the events' JSON schemas and
    the code that stores them. A change to either regenerates the cached store."""
    import inspect

    from sla_ledger.adapters import event_mapper, probe_columns, sqlite_store
    from sla_ledger.domain.events import EVENT_TYPES

    schemas = {name: cls.model_json_schema() for name, cls in sorted(EVENT_TYPES.items())}
    code = "".join(inspect.getsource(m) for m in (sqlite_store, event_mapper, probe_columns))
    text = json.dumps(schemas, sort_keys=True) + code
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Target:
    name: str
    service: str
    index: int
    # per location: half-open [lo, hi) intervals in us where probes fail / are not sent
    failures: list[list[tuple[int, int]]] = field(default_factory=lambda: [[], [], []])
    gaps: list[list[tuple[int, int]]] = field(default_factory=lambda: [[], [], []])

    def fail(self, lo: int, hi: int, locations: tuple[int, ...] = (0, 1, 2)) -> None:
        for j in locations:
            self.failures[j].append((lo, hi))

    def gap(self, lo: int, hi: int, locations: tuple[int, ...]) -> None:
        for j in locations:
            self.gaps[j].append((lo, hi))


@dataclass
class MonthPlan:
    params: MonthParams
    lo: int
    hi: int
    services: list[sl.Service]
    categories: dict[str, str]
    targets: list[Target]
    contracts: list[sl.Contract]
    # (instant, description, action on the ledger), run when the clock reaches the instant
    actions: list[tuple[int, str, Callable[[sl.SlaLedger, dict[str, Any]], None]]]
    setup_at: int
    close_at: int


def month_start(params: MonthParams, zone: str, day: int = 1) -> datetime:
    year, month = params.month
    return datetime(year, month, day, tzinfo=ZoneInfo(zone))


def month_end(params: MonthParams, zone: str) -> datetime:
    year, month = params.month
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=ZoneInfo(zone))


def plan_month(params: MonthParams) -> MonthPlan:
    """Services, contracts, the failures behind the probes, and the operators' actions."""
    starts = [us(month_start(params, z)) for z in ZONES]
    ends = [us(month_end(params, z)) for z in ZONES]
    lo, hi = min(starts) - HOUR, max(ends) + HOUR
    t0 = us(month_start(params, "UTC"))
    interval = timedelta(seconds=params.interval_s)
    services, categories, targets = [], {}, []
    actions: list[tuple[int, str, Callable[[sl.SlaLedger, dict[str, Any]], None]]] = []
    announce_at = t0 - 7 * DAY
    plain = params.services - params.component_services
    for i in range(params.services):
        rng = random.Random(params.seed * 1_000 + i)

        def when(first_day: int = 2, last_day: int = 27, r: random.Random = rng) -> int:
            return t0 + r.randrange(first_day, last_day) * DAY + r.randrange(0, 24 * 60) * MINUTE

        category = CYCLE[i % len(CYCLE)] if i < plain else "components"
        service_id = f"svc-{i:02d}-{category}"
        categories[service_id] = category
        if category == "components":
            instances = (
                sl.Instance(name="db-a", zone="az-a"),
                sl.Instance(name="db-b", zone="az-b"),
            )
            service = sl.Service(
                service_id=service_id,
                locations=LOCATIONS,
                probe_interval=interval,
                endpoint=False,
                components=(sl.Component(name="db", instances=instances, min_healthy=1),),
            )
            a = Target(f"{service_id}/db/db-a", service_id, len(targets))
            b = Target(f"{service_id}/db/db-b", service_id, len(targets) + 1)
            start = when(2, 12)
            a.fail(start, start + HOUR)  # absorbed by db-b
            start = when(14, 27)
            a.fail(start, start + 15 * MINUTE)
            b.fail(start + 5 * MINUTE, start + 25 * MINUTE)  # both down for 10 min
            targets += [a, b]
            services.append(service)
            continue
        service = sl.Service(service_id=service_id, locations=LOCATIONS, probe_interval=interval)
        services.append(service)
        target = Target(service_id, service_id, len(targets))
        targets.append(target)
        if category == "outage":
            start = when(2, 10)
            target.fail(start, start + (45 if i % 2 == 0 else 20) * MINUTE)
            start = when(11, 18)
            target.fail(start, start + 12 * MINUTE, (0, 1))  # a quorum of two
            start = when(19, 27)
            target.fail(start, start + 2 * HOUR, (2,))  # one location only: no quorum
        elif category == "blip":
            for _ in range(3):
                start = when()
                target.fail(start, start + 25 * SECOND)  # quorum down for at most 30 s: a blip
            start = when()
            target.fail(start, start + 8 * MINUTE)
        elif category == "incident":
            start = when(2, 12)
            target.fail(start, start + 10 * MINUTE)
            actions += incident(service_id, start - 5 * MINUTE, start + 30 * MINUTE)
            start = when(14, 27)
            actions += incident(service_id, start, start + 40 * MINUTE)  # probes saw nothing
        elif category == "maintenance":
            start = when(3, 10) // HOUR * HOUR
            target.fail(start + 30 * MINUTE, start + HOUR)  # inside a qualifying window
            actions.append(announce(service_id, announce_at, start, start + 2 * HOUR))
            start = when(11, 18) // HOUR * HOUR
            target.fail(start + 10 * MINUTE, start + 30 * MINUTE)  # inside a late one
            actions.append(announce(service_id, start - 2 * DAY, start, start + HOUR))
            start = when(19, 27) // HOUR * HOUR
            target.fail(start, start + 15 * MINUTE)  # inside a cancelled one
            actions.append(announce(service_id, announce_at, start, start + HOUR, "x"))
            actions.append(cancel(service_id, start - 3 * DAY))
        elif category == "gap":
            start = when(2, 14)
            target.gap(start, start + 40 * MINUTE, (0, 1))  # monitoring lost: unknown
            start = when(15, 27)
            target.fail(start, start + 15 * MINUTE)
    contracts = []
    for k in range(params.contracts):
        zone = ZONES[(k // params.services) % len(ZONES)]
        currency = CURRENCIES[(k // 3) % len(CURRENCIES)]
        fee = 100 + (k * 37) % 900
        amount = Decimal(fee * 150) if currency == "JPY" else Decimal(f"{fee}.00")
        lines = [
            sl.ContractLine(
                line_id="main",
                service=services[k % params.services].service_id,
                monthly_fee=amount,
                currency=currency,
            )
        ]
        if k % 5 == 4:
            lines.append(
                sl.ContractLine(
                    line_id="extra",
                    service=services[(k * 7 + 3) % params.services].service_id,
                    monthly_fee=amount / 2 if currency != "JPY" else Decimal(fee * 75),
                    currency=currency,
                    target=Decimal("99.5"),
                )
            )
        contracts.append(
            sl.Contract(
                contract_id=f"c-{k:04d}",
                customer=f"Customer {k}",
                region="eu",
                time_zone=zone,
                starts_at=month_start(params, zone, 16 if k % 25 == 24 else 1),
                lines=tuple(lines),
            )
        )
    actions.sort(key=lambda action: action[0])
    return MonthPlan(
        params,
        lo,
        hi,
        services,
        categories,
        targets,
        contracts,
        actions,
        setup_at=t0 - 12 * DAY,
        close_at=max(ends) + 2 * HOUR,
    )


def incident(service: str, start: int, end: int) -> list[tuple[int, str, Any]]:
    def declare(ledger: sl.SlaLedger, memo: dict[str, Any]) -> None:
        memo[f"incident {service} {start}"] = ledger.declare_incident(
            [service], dt(start), reason="declared by the on-call engineer"
        )

    def resolve(ledger: sl.SlaLedger, memo: dict[str, Any]) -> None:
        ledger.resolve_incident(memo[f"incident {service} {start}"], dt(end))

    return [
        (start + 2 * MINUTE, f"declare incident on {service}", declare),
        (end + 5 * MINUTE, f"resolve incident on {service}", resolve),
    ]


def announce(service: str, at: int, start: int, end: int, memo_key: str = "") -> Any:
    def run(ledger: sl.SlaLedger, memo: dict[str, Any]) -> None:
        announcement = ledger.announce_maintenance([service], dt(start), dt(end), "upgrade")
        if memo_key:
            memo[f"maintenance {service}"] = announcement

    return (at, f"announce maintenance on {service}", run)


def cancel(service: str, at: int) -> Any:
    def run(ledger: sl.SlaLedger, memo: dict[str, Any]) -> None:
        ledger.cancel_maintenance(memo[f"maintenance {service}"], "postponed")

    return (at, f"cancel maintenance on {service}", run)


@dataclass
class Columns:
    """Every generated probe in columns, for the DuckDB side."""

    target: array[int] = field(default_factory=lambda: array("h"))
    location: array[int] = field(default_factory=lambda: array("b"))
    at: array[int] = field(default_factory=lambda: array("q"))
    ok: array[int] = field(default_factory=lambda: array("b"))


def probe_batches(plan: MonthPlan, columns: Columns) -> Iterator[tuple[int, list[sl.Probe]]]:
    """``(clock, batch)``: every target from every location each interval, location j
    probing j x 10 s into the interval; a failure makes probes fail, a gap drops them."""
    interval = plan.params.interval_s * SECOND
    offsets = [j * interval // len(LOCATIONS) for j in range(len(LOCATIONS))]
    series = [
        (t.name, t.index, j, LOCATIONS[j], t.failures[j], t.gaps[j])
        for t in plan.targets
        for j in range(len(LOCATIONS))
    ]
    ticks = (plan.hi - plan.lo) // interval
    for first in range(0, ticks, plan.params.batch_ticks):
        batch: list[sl.Probe] = []
        last = min(ticks, first + plan.params.batch_ticks)
        for tick in range(first, last):
            base = plan.lo + tick * interval
            instants = [base + offset for offset in offsets]
            ats = [dt(t) for t in instants]
            for name, index, j, location, failures, gaps in series:
                t = instants[j]
                if gaps and any(a <= t < b for a, b in gaps):
                    continue
                ok = not (failures and any(a <= t < b for a, b in failures))
                latency = 20_000 + (tick * 7919 + index * 104_729 + j) % 30_000 if ok else None
                batch.append(sl.Probe(name, location, ats[j], ok, latency))
                columns.target.append(index)
                columns.location.append(j)
                columns.at.append(t)
                columns.ok.append(ok)
        yield plan.lo + last * interval + 5 * SECOND, batch


def month_store(
    params: MonthParams, regenerate: bool = False, quiet: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The cached store for ``params`` (generated through the public API when missing)."""
    CACHE.mkdir(exist_ok=True)
    stem = CACHE / f"month-{params.key()}"
    db, manifest_path = stem.with_suffix(".db"), stem.with_suffix(".json")
    if db.exists() and manifest_path.exists() and not regenerate:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == json.loads(json.dumps(asdict(params))):
            return db, manifest
    plan = plan_month(params)
    tmp = stem.with_suffix(".tmp.db")
    for leftover in CACHE.glob(tmp.name + "*"):
        leftover.unlink()
    clock = sl.ManualClock(dt(plan.setup_at))
    ledger = sl.open_ledger(f"sqlite:///{tmp}", clock=clock)
    for service in plan.services:
        ledger.register_service(service)
    for contract in plan.contracts:
        ledger.sign_contract(contract)
    columns = Columns()
    memo: dict[str, Any] = {}
    pending = list(plan.actions)
    started = time.perf_counter()
    recorded = batches = 0
    ticks = (plan.hi - plan.lo) // (params.interval_s * SECOND)
    for now, batch in probe_batches(plan, columns):
        while pending and pending[0][0] <= now:
            at, _, action = pending.pop(0)
            clock.set(dt(max(at, us(clock.now()))))
            action(ledger, memo)
        clock.set(dt(now))
        recorded += ledger.record_probes(batch).recorded
        batches += 1
        if not quiet and batches % 200 == 0:
            rate = recorded / (time.perf_counter() - started)
            done = batches * params.batch_ticks / ticks
            print(f"  generating: {done:6.1%}, {recorded:,} probes, {rate:,.0f}/s", flush=True)
    assert not pending, pending
    elapsed = time.perf_counter() - started
    ledger.close()
    connection = sqlite3.connect(tmp)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    np_path = stem.with_suffix(".probes.npz")
    save_columns(np_path, columns)
    manifest = {
        "params": asdict(params),
        "probes": recorded,
        "batches": batches,
        "targets": [t.name for t in plan.targets],
        "categories": plan.categories,
        "contracts": len(plan.contracts),
        "lines": sum(len(c.lines) for c in plan.contracts),
        "close_at": dt(plan.close_at).isoformat(),
        "generation_s": round(elapsed, 1),
        "generation_probes_per_s": round(recorded / elapsed),
        "db_bytes": tmp.stat().st_size,
        "library": git_state(),
    }
    os.replace(tmp, db)
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return db, manifest


def save_columns(path: Path, columns: Columns) -> None:
    import numpy as np

    np.savez(
        path,
        target=np.frombuffer(columns.target, dtype=np.int16),
        location=np.frombuffer(columns.location, dtype=np.int8),
        at=np.frombuffer(columns.at, dtype=np.int64),
        ok=np.frombuffer(columns.ok, dtype=np.int8).astype(bool),
    )


# -- the close, in a fresh process ---------------------------------------------------------------


def close_worker(db: str, now: str, out: str, profile: bool) -> None:
    """Open the store, fold the log, close the month; write timings and figures to ``out``."""
    started, cpu_started = time.perf_counter(), time.process_time()
    clock = sl.ManualClock(datetime.fromisoformat(now))
    profiles = {}
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    ledger = sl.open_ledger(f"sqlite:///{db}", clock=clock)
    opened = time.perf_counter()
    ledger.catch_up()
    folded, cpu_folded = time.perf_counter(), time.process_time()
    if profiler:
        profiler.disable()
        profiles["fold"] = profile_text(profiler, 16)
        profiler = cProfile.Profile()
        profiler.enable()
    closed_at, cpu_closed_at = time.perf_counter(), time.process_time()
    statements = ledger.close_due_months()
    done, cpu_done = time.perf_counter(), time.process_time()
    if profiler:
        profiler.disable()
        profiles["close"] = profile_text(profiler, 22)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    credits = ledger.credits(limit=1_000_000)
    result = {
        "open_s": opened - started,
        "fold_s": folded - opened,
        "close_s": done - closed_at,
        "open_fold_cpu_s": cpu_folded - cpu_started,
        "close_cpu_s": cpu_done - cpu_closed_at,
        "peak_rss_kb": peak,
        "statements": [
            {
                "contract": s.contract_id,
                "line": s.line_id,
                "service": s.service,
                "zone": s.time_zone,
                "lo": us(s.period_end) - s.active // timedelta(microseconds=1),
                "hi": us(s.period_end),
                "down_us": s.down // timedelta(microseconds=1),
                "unknown_us": s.unknown // timedelta(microseconds=1),
                "availability": s.availability_percent,
                "credit": str(s.credit),
                "currency": s.currency,
            }
            for s in statements
        ],
        "credits": len(credits),
        "profiles": profiles,
    }
    Path(out).write_text(json.dumps(result))


def run_close(db: Path, manifest: dict[str, Any], profile: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sla-bench-") as directory:
        copy = Path(directory) / "month.db"
        shutil.copyfile(db, copy)  # the close writes statements: keep the cache pristine
        out = Path(directory) / "close.json"
        command = [sys.executable, __file__, "_close-worker", str(copy), manifest["close_at"]]
        command += [str(out)] + (["--profile"] if profile else [])
        started = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - started
        result: dict[str, Any] = json.loads(out.read_text())
    result["process_wall_s"] = wall
    return result


# -- DuckDB ---------------------------------------------------------------------------------------

DUCKDB_DOWN = """
WITH seg AS (  -- a location's view: its latest probe's outcome, until the next probe or stale;
               -- at one instant a down probe sorts last, so a disagreement counts as down
    SELECT target, probed_at AS s, ok,
           least(coalesce(lead(probed_at) OVER w, probed_at + $staleness),
                 probed_at + $staleness) AS e
    FROM probe
    WINDOW w AS (PARTITION BY target, location ORDER BY probed_at, ok DESC)
),
edge AS (      -- +1 where a location's view turns down, -1 where that stops
    SELECT target, s AS t, 1 AS d FROM seg WHERE NOT ok AND e > s
    UNION ALL
    SELECT target, e AS t, -1 AS d FROM seg WHERE NOT ok AND e > s
),
step AS (SELECT target, t, sum(d) AS d FROM edge GROUP BY target, t),
run AS (       -- how many views are down from each change to the next
    SELECT target, t AS s, lead(t) OVER v AS e, sum(d) OVER v AS views_down
    FROM step
    WINDOW v AS (PARTITION BY target ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
down AS (SELECT target, epoch_us(s) AS s, epoch_us(e) AS e FROM run WHERE views_down >= $quorum)
SELECT target, w.lo, w.hi, sum(least(e, w.hi) - greatest(s, w.lo))::BIGINT AS down_us
FROM down JOIN windows w ON s < w.hi AND e > w.lo
GROUP BY ALL
ORDER BY ALL
"""


def run_duckdb(
    db: Path, manifest: dict[str, Any], windows: list[tuple[int, int]], repeat: int
) -> dict[str, Any]:
    import duckdb
    import numpy as np

    started = time.perf_counter()
    data = np.load(db.with_name(db.name.replace(".db", ".probes.npz")))
    columns = {name: data[name] for name in ("target", "location", "at", "ok")}
    connection = duckdb.connect()
    connection.execute(f"SET threads = {os.cpu_count()}")
    connection.register("columns", columns)
    targets = {"id": np.arange(len(manifest["targets"])), "name": np.array(manifest["targets"])}
    locations = {"id": np.arange(len(LOCATIONS)), "name": np.array(LOCATIONS)}
    connection.register("targets", targets)
    connection.register("locations", locations)
    connection.execute(
        "CREATE TABLE probe AS SELECT t.name AS target, l.name AS location, "
        "make_timestamp(c.at) AS probed_at, c.ok FROM columns c "
        "JOIN targets t ON t.id = c.target JOIN locations l ON l.id = c.location"
    )
    loaded = time.perf_counter() - started
    rows = connection.execute("SELECT count(*) FROM probe").fetchone()
    assert rows is not None and rows[0] == manifest["probes"], (rows, manifest["probes"])
    connection.execute("CREATE TABLE windows (lo BIGINT, hi BIGINT)")
    connection.executemany("INSERT INTO windows VALUES (?, ?)", windows)
    interval = manifest["params"]["interval_s"]
    parameters = {"staleness": timedelta(seconds=3 * interval), "quorum": len(LOCATIONS) // 2 + 1}
    times, cpus, result = [], [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = connection.execute(DUCKDB_DOWN, parameters).fetchall()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return {
        "load_s": loaded,
        "query_s": statistics.median(times),
        "query_runs_s": times,
        "query_cpu_s": statistics.median(cpus),
        "down": {(target, lo, hi): down for target, lo, hi, down in result},
    }


def compare(
    close: dict[str, Any], duck: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Each statement's down time against DuckDB's R3 down time of its service and period."""
    categories = manifest["categories"]
    checked, equal, mismatches, differs = 0, 0, [], {}
    per_category: dict[str, list[int]] = {}
    for s in close["statements"]:
        category = categories[s["service"]]
        theirs = duck["down"].get((s["service"], s["lo"], s["hi"]), 0)
        totals = per_category.setdefault(category, [0, 0, 0])
        totals[0] += 1
        totals[1] += s["down_us"]
        totals[2] += theirs
        if category in R3_ONLY:
            checked += 1
            if theirs == s["down_us"]:
                equal += 1
            else:
                mismatches.append({**s, "duckdb_down_us": theirs})
        elif theirs != s["down_us"]:
            differs[category] = differs.get(category, 0) + 1
    return {
        "r3_only_statements": checked,
        "r3_only_equal": equal,
        "mismatches": mismatches[:10],
        "other_statements_differing": differs,
        "per_category": {
            c: {"statements": n, "library_down_s": lib / SECOND, "duckdb_down_s": duck_ / SECOND}
            for c, (n, lib, duck_) in sorted(per_category.items())
        },
    }


def bench_close(args: argparse.Namespace) -> dict[str, Any]:
    params = MonthParams.at_scale(args.scale)
    print(f"close: store for {params} ...", flush=True)
    started = time.perf_counter()
    db, manifest = month_store(params, args.regenerate)
    print(
        f"  store ready in {time.perf_counter() - started:.1f} s: {manifest['probes']:,} probes, "
        f"{manifest['contracts']:,} contracts, {db.stat().st_size / 2**20:,.0f} MiB "
        f"(generated at {manifest['generation_probes_per_s']:,} probes/s)",
        flush=True,
    )
    runs = []
    for repeat in range(args.close_repeat):
        run = run_close(db, manifest, profile=False)
        runs.append(run)
        print(
            f"  close run {repeat + 1}/{args.close_repeat}: open {run['open_s']:.2f} s, "
            f"fold {run['fold_s']:.2f} s, close {run['close_s']:.2f} s, "
            f"peak {rss_mb(run['peak_rss_kb']):,.0f} MiB (CPU: open+fold "
            f"{run['open_fold_cpu_s']:.2f} s, close {run['close_cpu_s']:.2f} s)",
            flush=True,
        )
    close = min(runs, key=lambda r: r["open_s"] + r["fold_s"] + r["close_s"])
    windows = sorted({(s["lo"], s["hi"]) for s in close["statements"]})
    duck = run_duckdb(db, manifest, windows, args.duckdb_repeat)
    print(
        f"  duckdb: load {duck['load_s']:.2f} s, query {duck['query_s']:.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in duck['query_runs_s'])})",
        flush=True,
    )
    check = compare(close, duck, manifest)
    fold = close["open_s"] + close["fold_s"]
    total = fold + close["close_s"]
    peak = rss_mb(max(r["peak_rss_kb"] for r in runs))
    result: dict[str, Any] = {
        "params": asdict(params),
        "probes": manifest["probes"],
        "contracts": manifest["contracts"],
        "lines": manifest["lines"],
        "statements": len(close["statements"]),
        "credits": close["credits"],
        "store_mib": round(db.stat().st_size / 2**20),
        "generation_probes_per_s": manifest["generation_probes_per_s"],
        "runs": [
            {k: round(r[k], 3) for k in ("open_s", "fold_s", "close_s", "process_wall_s")}
            | {
                "open_fold_cpu_s": round(r["open_fold_cpu_s"], 3),
                "close_cpu_s": round(r["close_cpu_s"], 3),
                "peak_rss_mib": round(rss_mb(r["peak_rss_kb"]), 1),
            }
            for r in runs
        ],
        "open_fold_cpu_s": round(close["open_fold_cpu_s"], 3),
        "close_cpu_s": round(close["close_cpu_s"], 3),
        "open_s": round(close["open_s"], 3),
        "fold_s": round(close["fold_s"], 3),
        "open_fold_s": round(fold, 3),
        "close_s": round(close["close_s"], 3),
        "total_s": round(total, 3),
        "process_wall_s": round(close["process_wall_s"], 3),
        "peak_rss_mib": round(peak, 1),
        "duckdb_load_s": round(duck["load_s"], 3),
        "duckdb_query_s": round(duck["query_s"], 3),
        "duckdb_query_runs_s": [round(t, 3) for t in duck["query_runs_s"]],
        "duckdb_query_cpu_s": round(duck["query_cpu_s"], 3),
        "ratio_close_vs_query": round(duck["query_s"] / close["close_s"], 3),
        "ratio_total_vs_query": round(duck["query_s"] / total, 3),
        "ratio_total_vs_load_query": round((duck["load_s"] + duck["query_s"]) / total, 3),
        "check": check,
    }
    result["targets"] = {
        "total_le_30s": total <= 30,
        "peak_le_1gb": peak <= 1024,
        "close_not_slower_than_duckdb_query": close["close_s"] <= duck["query_s"],
        "total_not_slower_than_duckdb_query": total <= duck["query_s"],
        "r3_matches_duckdb": check["r3_only_equal"] == check["r3_only_statements"],
    }
    if args.profile:
        profiled = run_close(db, manifest, profile=True)
        result["profiles"] = profiled["profiles"]
    return result


# -- reporting ------------------------------------------------------------------------------------


def profile_text(profiler: cProfile.Profile, lines: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(lines)
    text = stream.getvalue()
    return text[text.find("   ncalls") :].rstrip() if "   ncalls" in text else text


def report(results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []
    ingest = results.get("ingest")
    if ingest:
        rate = ingest["probes_per_s"]
        rows += [
            (
                f"ingest: {ingest['probes']:,} probes, batches of {ingest['batch']:,}, "
                + (f"median of {ingest['repeat']} runs" if ingest["repeat"] > 1 else "1 run"),
                "",
                "",
            ),
            ("  sla-ledger record_probes (SQLite, WAL)", f"{rate['ours']:,} probes/s", ""),
            (
                "  raw sqlite3, id PRIMARY KEY, WAL  [target]",
                f"{rate['keyed']:,} probes/s",
                f"ratio {ingest['ratio_vs_keyed']:.2f} (target >= 1.0; best runs "
                f"{ingest['best_ratio_vs_keyed']:.2f}, CPU time "
                f"{ingest['cpu_ratio_vs_keyed']:.2f})",
            ),
            (
                "  raw sqlite3, no key, WAL",
                f"{rate['plain']:,} probes/s",
                f"ratio {ingest['ratio_vs_plain']:.2f} (best runs "
                f"{ingest['best_ratio_vs_plain']:.2f}, CPU time "
                f"{ingest['cpu_ratio_vs_plain']:.2f})",
            ),
            (
                "  raw sqlite3, id PRIMARY KEY, rollback journal",
                f"{rate['keyed_rollback']:,} probes/s",
                f"ratio {ingest['ratio_vs_keyed_rollback']:.2f}",
            ),
        ]
    close = results.get("close")
    if close:
        check = close["check"]
        rows += [
            (
                f"close: {close['probes']:,} probes, {close['contracts']:,} contracts, "
                f"{close['statements']:,} statements, {close['credits']:,} credits",
                "",
                "",
            ),
            ("  open store + fold log (catch_up)", f"{close['open_fold_s']:.2f} s", ""),
            ("  close_due_months", f"{close['close_s']:.2f} s", ""),
            ("  sum", f"{close['total_s']:.2f} s", "target <= 30 s"),
            ("  peak RSS of the process", f"{close['peak_rss_mib']:,.0f} MiB", "target <= 1 GiB"),
            ("  DuckDB load (not timed against)", f"{close['duckdb_load_s']:.2f} s", ""),
            (
                "  DuckDB R3 down-time query",
                f"{close['duckdb_query_s']:.2f} s",
                f"close / query: {close['close_s'] / close['duckdb_query_s']:.2f}x, "
                f"sum / query: {close['total_s'] / close['duckdb_query_s']:.2f}x",
            ),
            (
                "  R3-only statements equal to DuckDB",
                f"{check['r3_only_equal']:,} / {check['r3_only_statements']:,}",
                "",
            ),
        ]
    width = max(len(r[0]) for r in rows) + 2
    for label, value, note in rows:
        print(f"{label:<{width}}{value:>20}   {note}".rstrip())
    if close:
        print("  down time by category (library statements vs DuckDB R3, summed over statements):")
        for category, c in close["check"]["per_category"].items():
            why = WHY_DIFFERENT.get(category, "R3 only: must be equal")
            print(
                f"    {category:<12} {c['statements']:>5} statements  "
                f"library {c['library_down_s']:>11,.0f} s  duckdb {c['duckdb_down_s']:>11,.0f} s"
                f"  ({why})"
            )
        for verdict, met in close["targets"].items():
            print(f"  {verdict}: {'met' if met else 'NOT met'}")
    for name, text in (
        ("ingest", (ingest or {}).get("profile")),
        ("fold", ((close or {}).get("profiles") or {}).get("fold")),
        ("close", ((close or {}).get("profiles") or {}).get("close")),
    ):
        if text:
            print(f"\nprofile of {name} (cProfile, by own time):\n{text}")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def git_state() -> str:
    """The library's commit, with ``+dirty`` when sla_ledger/ has uncommitted changes."""
    root = HERE.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "sla_ledger"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + ("+dirty" if dirty else "") if head else "unknown"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_close-worker":
        close_worker(sys.argv[2], sys.argv[3], sys.argv[4], "--profile" in sys.argv[5:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="?", choices=("ingest", "close", "all"), default="all")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (default 1)")
    parser.add_argument("--small", action="store_true", help="same as --scale 0.1")
    parser.add_argument("--batch", type=int, default=3000, help="probes per ingest batch")
    parser.add_argument("--repeat", type=int, default=5, help="ingest runs (median is kept)")
    parser.add_argument("--close-repeat", type=int, default=2, help="close runs (best is kept)")
    parser.add_argument("--duckdb-repeat", type=int, default=3, help="query runs (median)")
    parser.add_argument("--profile", action="store_true", help="add cProfile runs (untimed)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached month")
    args = parser.parse_args()
    if args.small:
        args.scale = 0.1
    results: dict[str, Any] = {
        "machine": machine(),
        "library": git_state(),
        "scale": args.scale,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    if args.which in ("ingest", "all"):
        results["ingest"] = bench_ingest(args)
    if args.which in ("close", "all"):
        import duckdb

        results["machine"]["duckdb"] = duckdb.__version__
        results["close"] = bench_close(args)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    print()
    report(results)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
