"""The concurrency suite's scenario: what each process sends, and the process itself.

Every process (a "worker") owns one service and shares another ("edge") with the
others. Step by step it records a chunk of its own service's probes (April to
June 2026, every 30 minutes from three locations, an outage a month) and, at half
its steps, a chunk of edge's probes that a neighbour sends at the same step too; it
closes the due months every other step, and now and then declares a late incident
on a month that is already closed, so that the next close restates it (or one over
an outage its probes already show, which must restate nothing).

The workers' clock is the system clock moved back to 1 July 2026 02:00 UTC (every
month is due) and pausing after each reading, so that writers race between stamping
and committing (tests/integration/test_concurrent_writers.py).
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import IntegrityError

from sla_ledger import (
    Contract,
    ContractLine,
    ManualClock,
    Probe,
    ResponseTarget,
    Service,
    SlaLedger,
    SupportTier,
    open_ledger,
)
from tests.integration.test_concurrent_writers import DawdlingClock

APRIL = datetime(2026, 4, 1, tzinfo=UTC)
JULY = datetime(2026, 7, 1, tzinfo=UTC)
MONTHS = ("2026-04", "2026-05", "2026-06")
WORKERS_START = JULY + timedelta(hours=2)  # June's end plus grace has passed
EVERY = timedelta(minutes=30)
LOCATIONS = ("fra", "ams", "lon")
SHARED = "edge"
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(
            severity="sev1", first_response=timedelta(hours=1), first_response_credit=Decimal(5)
        ),
    ),
)


class ShiftedClock(DawdlingClock):
    """The racing system clock, moved back by ``offset`` (the same in every process)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() - self.offset


def shift() -> timedelta:
    """The offset that puts the workers' clock at ``WORKERS_START`` now."""
    return datetime.now(UTC) - WORKERS_START


def own(worker: int) -> str:
    return f"svc{worker}"


def _timeline(target: str, outages: list[tuple[datetime, datetime]]) -> list[Probe]:
    probes, at = [], APRIL
    while at < JULY:
        ok = not any(a <= at < b for a, b in outages)
        probes.extend(Probe(target, location, at, ok) for location in LOCATIONS)
        at += EVERY
    return probes


def _outages(seed: int) -> list[tuple[datetime, datetime]]:
    """One outage a month, from 1 h to 4 h, at whole half hours."""
    rng = random.Random(seed)
    starts = [APRIL, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)]
    outages = []
    for month in starts:
        start = month + rng.randrange(27 * 48) * EVERY
        outages.append((start, start + rng.randrange(2, 9) * EVERY))
    return outages


def _chunks(probes: list[Probe], steps: int) -> list[list[Probe]]:
    """Consecutive chunks, whole instants each (a chunk holds every location's probe)."""
    per = -(-len(probes) // len(LOCATIONS) // steps) * len(LOCATIONS)
    return [probes[i * per : (i + 1) * per] for i in range(steps)]


@dataclass(frozen=True)
class Plan:
    """What one worker sends at each step."""

    worker: int
    workers: int
    steps: int
    seed: int

    def outages(self) -> list[tuple[datetime, datetime]]:
        return _outages(self.seed * 100 + self.worker)

    def own_chunks(self) -> list[list[Probe]]:
        return _chunks(_timeline(own(self.worker), self.outages()), self.steps)

    def shared_steps(self) -> set[int]:
        """Each edge chunk is sent by two neighbours at the same step."""
        n = self.workers
        return {s for s in range(self.steps) if s % n in (self.worker, (self.worker + 1) % n)}

    def closes(self, step: int) -> bool:
        return (step + self.worker) % 2 == 0


def shared_chunks(steps: int, seed: int) -> list[list[Probe]]:
    return _chunks(_timeline(SHARED, _outages(seed * 100 + 99)), steps)


def expected_probes(workers: int, steps: int, seed: int) -> set[Probe]:
    """Every probe the workers send, once."""
    sent = {p for chunk in shared_chunks(steps, seed) for p in chunk}
    for worker in range(workers):
        sent.update(p for chunk in Plan(worker, workers, steps, seed).own_chunks() for p in chunk)
    return sent


def contract(worker: int) -> Contract:
    """Each worker's customer: a line on its own service and one on edge. Even ones have
    a support tier, odd ones claw back; every fourth counts unknown time as unavailable."""
    return Contract(
        contract_id=f"c{worker}",
        customer=f"CUSTOMER{worker}",
        region="eu",
        starts_at=APRIL,
        lines=tuple(
            ContractLine(
                line_id=line, service=service, monthly_fee=Decimal("1000.00"), currency="EUR"
            )
            for line, service in (("own", own(worker)), ("edge", SHARED))
        ),
        unknown_counts_as="unavailable" if worker % 4 == 3 else "available",
        clawback=worker % 2 == 1,
        support=TIER if worker % 2 == 0 else None,
    )


def set_up(url: str, workers: int) -> None:
    """Services, contracts, and a missed sev1 case a month for each supported contract."""
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    for name in [SHARED, *(own(w) for w in range(workers))]:
        ledger.register_service(Service(service_id=name, locations=LOCATIONS, probe_interval=EVERY))
    for worker in range(workers):
        ledger.sign_contract(contract(worker))
    clock.set(datetime(2026, 6, 30, tzinfo=UTC))
    for worker in range(0, workers, 2):
        for month in (4, 5, 6):
            ledger.open_case(f"c{worker}", "sev1", opened_at=datetime(2026, month, 20, tzinfo=UTC))
    ledger.close()


@dataclass
class Report:
    """What one worker was told, sent back to the test."""

    worker: int
    receipts: list[tuple[str | None, int, int, int]] = field(default_factory=list)
    """(batch id, recorded, duplicates, sent) per ``record_probes`` call."""
    incidents: list[str] = field(default_factory=list)
    closes: int = 0
    lost_races: dict[str, int] = field(default_factory=dict)
    """Commits the store refused because another writer got there first, by error."""
    error: str | None = None


def work(url: str, plan: Plan, offset: timedelta, start: Any, out: Any) -> None:
    """A worker process: ingest, close and restate, then report."""
    report = Report(plan.worker)
    try:
        ledger = open_ledger(url, clock=ShiftedClock(offset))
        _count_lost_races(ledger, report)
        start.wait()
        _steps(ledger, plan, report)
        ledger.close()
    except BaseException:
        report.error = traceback.format_exc()
        start.abort()  # nobody waits for a worker that will not come
    out.put(report)


def _count_lost_races(ledger: SlaLedger, report: Report) -> None:
    """Count the commits refused under ``ledger.save`` (the ledger retries them itself)."""
    save = ledger.save

    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return save(*args, **kwargs)
        except IntegrityError as error:
            name = type(error).__name__
            report.lost_races[name] = report.lost_races.get(name, 0) + 1
            raise

    ledger.save = counted  # type: ignore[method-assign]


def _steps(ledger: SlaLedger, plan: Plan, report: Report) -> None:
    rng = random.Random(plan.seed * 1000 + plan.worker)
    shared, mine, sharing = (
        shared_chunks(plan.steps, plan.seed),
        plan.own_chunks(),
        plan.shared_steps(),
    )
    for step in range(plan.steps):
        batches = [mine[step], *([shared[step]] if step in sharing else [])]
        for batch in batches:
            receipt = ledger.record_probes(batch)
            batch_id = None if receipt.batch_id is None else str(receipt.batch_id)
            report.receipts.append((batch_id, receipt.recorded, receipt.duplicates, len(batch)))
        if step % 3 == 2:
            service = SHARED if step % 2 else own(plan.worker)
            _late_incident(ledger, rng, service, mine[step], report)
        start, end = plan.outages()[0]
        if step % 3 == 0 and mine[step] and end <= mine[step][0].at:
            # Late, but over an outage the probes already show: it changes no figure,
            # so it restates nothing.
            incident = ledger.declare_incident([own(plan.worker)], start, end, "same outage")
            report.incidents.append(str(incident))
        if plan.closes(step):
            ledger.close_due_months()
            report.closes += 1
    ledger.close_due_months()
    report.closes += 1


def _late_incident(
    ledger: SlaLedger, rng: random.Random, service: str, sent: list[Probe], report: Report
) -> None:
    """An incident of 1 to 3 hours before what was just sent: late evidence for a month
    whose statements are (most likely) issued already."""
    latest = sent[0].at if sent else JULY
    start = APRIL + rng.randrange(int((latest - APRIL) / EVERY)) * EVERY
    end = start + rng.randrange(2, 7) * EVERY
    report.incidents.append(str(ledger.declare_incident([service], start, end, "late report")))


def run_workers(url: str, workers: int, steps: int, seed: int, timeout: float) -> list[Report]:
    """Start every worker at the same moment; fail, killing what still runs, if one has
    not reported within ``timeout`` seconds or not exited soon after."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(workers + 1), context.Queue()
    offset = shift()
    processes = [
        context.Process(target=work, args=(url, Plan(w, workers, steps, seed), offset, start, out))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout)  # every worker has opened the store
        reports = [_report(out, timeout) for _ in processes]
        for process in processes:
            process.join(30)
        stuck = [p.pid for p in processes if p.is_alive()]
        assert not stuck, f"workers {stuck} reported but did not exit"
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * workers
    errors = [r.error for r in reports if r.error]
    assert not errors, errors[0]
    return sorted(reports, key=lambda r: r.worker)


def _report(out: Any, timeout: float) -> Report:
    try:
        report: Report = out.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"a worker has not finished in {timeout} s: a deadlock?") from None
    return report
