"""The processes of the soak benchmark (``soak.py``): the load plan, writers and the reader.

Each writer owns its services and sends their probes in time order, one tick (every
location of every service it owns) after another, cut into batches. Probe instants start
at ``Plan.t0_us`` and advance by ``Plan.step_us`` a tick, faster than real time, but never
past it: a writer that catches up with the clock waits. Outcomes are a fixed function of
(series, tick), so the final check knows exactly what the ledger must hold.
"""

from __future__ import annotations

import json
import time
import traceback
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sla_ledger as sl

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOCATIONS = ("fra", "iad", "sin")
OFFSET_US = 250_000  # each location probes a quarter second after the one before
DOWN_EVERY = 997  # one probe in 997 of each series is down
RESENT_KEPT = 20  # batches each writer keeps to send again in the tail
ATTEMPTS = 3  # a failed record_probes is sent again (it is idempotent) this many times


@dataclass(frozen=True)
class Plan:
    """Everything the processes share; ``start`` is the wall-clock instant they all began."""

    url: str
    writers: int
    services: int  # per writer
    batch: int
    rate: float  # probes/s per writer; 0: as fast as it can
    t0_us: int
    step_us: int
    seconds: float
    tail: float
    incident_every: float
    out: str

    @property
    def settle(self) -> float:
        """Seconds into the tail after which readers stop writing down what they see: by
        then they have seen the last batches, and their memory is the library's alone."""
        return min(5.0, self.tail / 2)

    def service_ids(self, writer: int) -> list[str]:
        return [f"soak-w{writer}-s{i:02d}" for i in range(self.services)]

    def series(self, writer: int) -> list[tuple[str, str]]:
        return [(s, loc) for s in self.service_ids(writer) for loc in LOCATIONS]

    def lines(self) -> list[tuple[str, str]]:
        """Every (contract, line): one contract per writer, one line per service."""
        return [(f"soak-c{w}", s) for w in range(self.writers) for s in self.service_ids(w)]


def month_start(instant: datetime, months_back: int = 0) -> datetime:
    index = instant.year * 12 + instant.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def set_up(plan: Plan) -> tuple[int, str]:
    """Register the services and one contract per writer from two months ago, and close
    the months due, so that statements are issued; returns their number and the earliest
    month, whose statements the reader reads."""
    ledger = sl.open_ledger(plan.url)
    starts = month_start(datetime.now(UTC), months_back=2)
    for writer in range(plan.writers):
        for service_id in plan.service_ids(writer):
            ledger.register_service(
                sl.Service(
                    service_id=service_id,
                    locations=LOCATIONS,
                    probe_interval=timedelta(microseconds=plan.step_us),
                )
            )
        lines = tuple(
            sl.ContractLine(line_id=s, service=s, monthly_fee=Decimal("1000.00"), currency="EUR")
            for s in plan.service_ids(writer)
        )
        ledger.sign_contract(
            sl.Contract(
                contract_id=f"soak-c{writer}",
                customer=f"Soak customer {writer}",
                region="eu",
                starts_at=starts,
                lines=lines,
            )
        )
    issued = len(ledger.close_due_months())
    ledger.close()
    return issued, f"{starts:%Y-%m}"


def is_down(series: int, tick: int) -> bool:
    return (tick + 7 * series) % DOWN_EVERY == 0


def downs_expected(series: int, ticks: int) -> int:
    """How many of a series's first ``ticks`` probes are down."""
    first = -7 * series % DOWN_EVERY
    return 0 if ticks <= first else (ticks - 1 - first) // DOWN_EVERY + 1


def probe_batches(plan: Plan, writer: int) -> Iterator[tuple[list[sl.Probe], int]]:
    """The writer's probes, tick by tick, in batches of ``plan.batch``; with each batch
    the instant (us) of its last probe."""
    series = plan.series(writer)
    batch: list[sl.Probe] = []
    tick = 0
    while True:
        base = plan.t0_us + tick * plan.step_us
        ats = [EPOCH + timedelta(microseconds=base + j * OFFSET_US) for j in range(3)]
        for k, (target, location) in enumerate(series):
            j = k % 3
            if is_down(k, tick):
                batch.append(sl.Probe(target, location, ats[j], False, None))
            else:
                latency = 20_000 + (tick * 7919 + k * 104_729) % 30_000
                batch.append(sl.Probe(target, location, ats[j], True, latency))
            if len(batch) == plan.batch:
                yield batch, base + j * OFFSET_US
                batch = []
        tick += 1


def wait_until(wall: float) -> float:
    """Sleep until the wall-clock instant ``wall``; returns the seconds slept."""
    pause = wall - time.time()
    if pause > 0:
        time.sleep(pause)
        return pause
    return 0.0


@dataclass
class WriterLog:
    writer: int
    latencies: list[float] = field(default_factory=list)  # seconds, per record_probes call
    commits: list[float] = field(default_factory=list)  # wall-clock instant it had committed
    cumulative: list[int] = field(default_factory=list)  # probes acknowledged up to that call
    # Acknowledged: recorded, or reported as a duplicate. A writer sends each probe once, so
    # a duplicate here means an attempt that failed after its commit had recorded it.
    acknowledged: int = 0
    recorded: int = 0
    duplicates: int = 0
    incidents: int = 0
    incident_latencies: list[float] = field(default_factory=list)
    throttled_real_time_s: float = 0.0
    throttled_rate_s: float = 0.0
    resent_batches: int = 0
    resent_recorded: int = 0
    resent_duplicates: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    rss_ready_kib: int = 0


def rss_kib(pid: int | str = "self") -> int:
    """The resident set size of a process (VmRSS), 0 when it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def _record(ledger: sl.SlaLedger, batch: list[sl.Probe], log: WriterLog) -> sl.ProbeReceipt:
    """``record_probes``, sent again after a failure (a probe sent again is recorded once)."""
    for attempt in range(ATTEMPTS):
        try:
            return ledger.record_probes(batch)
        except Exception as error:
            log.errors.append(f"{type(error).__name__}: {error}"[:500])
            if attempt + 1 == ATTEMPTS:
                raise
            log.retries += 1
            time.sleep(0.1)
    raise AssertionError("unreachable")


def _declare_incident(ledger: sl.SlaLedger, plan: Plan, log: WriterLog, last_us: int) -> None:
    service = plan.service_ids(log.writer)[log.incidents % plan.services]
    end = EPOCH + timedelta(microseconds=last_us - 60 * 1_000_000)
    began = time.perf_counter()
    ledger.declare_incident([service], end - timedelta(minutes=2), end, f"soak w{log.writer}")
    log.incident_latencies.append(time.perf_counter() - began)
    log.incidents += 1


def write(plan: Plan, writer: int, start: Any, started: Any, progress: Any) -> None:
    """A writer process: probe batches as fast as allowed until the end of the run, a few
    incidents, then the first batches again (all duplicates) until the end of the tail."""
    log = WriterLog(writer)
    try:
        ledger = sl.open_ledger(plan.url)
        ledger.catch_up()
        log.rss_ready_kib = rss_kib()
        Path(plan.out, f"ready-writer-{writer}").touch()
        start.wait()
        kept = _write_main(plan, ledger, log, started.value, progress, clock_commits(ledger))
        _write_tail(plan, ledger, log, started.value, kept)
        ledger.close()
    except Exception:
        log.errors.append(traceback.format_exc()[-2000:])
    Path(plan.out, f"writer-{writer}.json").write_text(json.dumps(asdict(log)))


def clock_commits(ledger: sl.SlaLedger) -> list[float]:
    """A one-item list that holds the wall-clock instant at which the ledger's latest write
    transaction returned from the store, committed: the start of projection lag."""
    committed = [0.0]
    insert = ledger.recorder.insert_events

    def timed(*args: Any, **kwargs: Any) -> Any:
        result = insert(*args, **kwargs)
        committed[0] = time.time()
        return result

    ledger.recorder.insert_events = timed  # type: ignore[method-assign]
    return committed


def _write_main(
    plan: Plan,
    ledger: sl.SlaLedger,
    log: WriterLog,
    began: float,
    progress: Any,
    committed: list[float],
) -> list[list[sl.Probe]]:
    stop = began + plan.seconds
    next_incident = began + plan.incident_every
    kept: list[list[sl.Probe]] = []
    for batch, last_us in probe_batches(plan, log.writer):
        if plan.rate:
            log.throttled_rate_s += wait_until(began + log.acknowledged / plan.rate)
        # Never ahead of the clock: the ledger refuses probes from the future.
        log.throttled_real_time_s += wait_until(last_us / 1e6 + 1)
        if time.time() >= stop:
            break
        began_call = time.perf_counter()
        receipt = _record(ledger, batch, log)
        log.latencies.append(time.perf_counter() - began_call)
        log.commits.append(committed[0])
        log.recorded += receipt.recorded
        log.duplicates += receipt.duplicates
        log.acknowledged += receipt.recorded + receipt.duplicates
        log.cumulative.append(log.acknowledged)
        progress.value = log.acknowledged
        if len(kept) < RESENT_KEPT:
            kept.append(batch)
        if time.time() >= next_incident:
            _declare_incident(ledger, plan, log, last_us)
            next_incident += plan.incident_every
    return kept


def _write_tail(
    plan: Plan, ledger: sl.SlaLedger, log: WriterLog, began: float, kept: list[list[sl.Probe]]
) -> None:
    """Send batches already recorded: nothing new is held, so memory must stay flat."""
    stop = began + plan.seconds + plan.tail
    while kept and time.time() < stop:
        receipt = _record(ledger, kept[log.resent_batches % len(kept)], log)
        log.resent_batches += 1
        log.resent_recorded += receipt.recorded
        log.resent_duplicates += receipt.duplicates
        time.sleep(0.05)  # a steady trickle, not a second load test


@dataclass
class ReaderLog:
    """What a reader writes down, in arrays of 8-byte values: its own memory must stay
    small beside the projection's, and stops growing once the load has settled."""

    writers: int
    observed: array[float] = field(default_factory=lambda: array("d"))  # each catch_up's end
    folded: list[array[int]] = field(default_factory=list)  # per writer: its probes held then
    ages: array[float] = field(default_factory=lambda: array("d"))  # seconds
    catch_up_s: array[float] = field(default_factory=lambda: array("d"))
    compute_s: array[float] = field(default_factory=lambda: array("d"))
    statement_for_s: array[float] = field(default_factory=lambda: array("d"))
    statements_s: array[float] = field(default_factory=lambda: array("d"))
    statements_seen: int = 0
    errors: list[str] = field(default_factory=list)
    rss_ready_kib: int = 0

    def __post_init__(self) -> None:
        self.folded = [array("q") for _ in range(self.writers)]

    def as_json(self) -> str:
        arrays = [self.observed, self.ages, self.catch_up_s, self.compute_s]
        arrays += [self.statement_for_s, self.statements_s, *self.folded]
        held = sum(a.buffer_info()[1] * a.itemsize for a in arrays)
        data = {k: v.tolist() if isinstance(v, array) else v for k, v in vars(self).items()}
        data["folded"] = [a.tolist() for a in self.folded]
        return json.dumps(data | {"log_bytes": held})


def read(
    plan: Plan, issued: tuple[int, str], start: Any, started: Any, progress: Any, reader: int
) -> None:
    """A reader process: statements, read again and again, from an up-to-date projection."""
    log = ReaderLog(plan.writers)
    try:
        ledger = sl.open_ledger(plan.url)
        ledger.catch_up()
        log.rss_ready_kib = rss_kib()
        Path(plan.out, f"ready-reader-{reader}").touch()
        start.wait()
        for turn, (contract, line) in enumerate(_turns(plan, started.value, reader)):
            _read_once(plan, ledger, log, contract, line, issued, started.value)
            progress.value = turn + 1
        ledger.close()
    except Exception:
        log.errors.append(traceback.format_exc()[-2000:])
    Path(plan.out, f"reader-{reader}.json").write_text(log.as_json())


def _turns(plan: Plan, began: float, reader: int) -> Iterator[tuple[str, str]]:
    """Every contract line in turn, until the end of the tail."""
    lines = plan.lines()
    turn = reader * 7
    while time.time() < began + plan.seconds + plan.tail:
        yield lines[turn % len(lines)]
        turn += 1


def _read_once(
    plan: Plan,
    ledger: sl.SlaLedger,
    log: ReaderLog,
    contract: str,
    line: str,
    issued: tuple[int, str],
    began: float,
) -> None:
    """Catch up, then one read of each kind; the projection is observed before each.
    Once the load has settled, the reads go on but nothing is written down."""
    series = [plan.series(w) for w in range(plan.writers)]
    this_month = f"{datetime.now(UTC):%Y-%m}"
    count, closed_month = issued
    if time.time() > began + plan.seconds + plan.settle:
        ledger.compute_statement(contract, line, this_month)
        ledger.statement_for(contract, line, closed_month)
        seen = len(ledger.statements())
    else:
        _observe(ledger, log, series, began, began + plan.seconds)
        log.compute_s.append(_timed(ledger.compute_statement, contract, line, this_month))
        _observe(ledger, log, series, began, began + plan.seconds)
        log.statement_for_s.append(_timed(ledger.statement_for, contract, line, closed_month))
        _observe(ledger, log, series, began, began + plan.seconds)
        t = time.perf_counter()
        seen = len(ledger.statements())
        log.statements_s.append(time.perf_counter() - t)
    if seen != count:
        raise AssertionError(f"statements() gave {seen} statements, not the {count} issued")
    log.statements_seen += seen


def _timed(call: Any, *args: Any) -> float:
    began = time.perf_counter()
    if call(*args) is None:
        raise AssertionError(f"{call.__name__}{args} gave nothing")
    return time.perf_counter() - began


def _observe(
    ledger: sl.SlaLedger,
    log: ReaderLog,
    series: list[list[tuple[str, str]]],
    began_load: float,
    stop_at: float,
) -> None:
    began = time.perf_counter()
    state = ledger.catch_up()
    log.catch_up_s.append(time.perf_counter() - began)
    now = time.time()
    log.observed.append(now)
    if began_load <= state.last_recorded / 1e6 and now <= stop_at:
        log.ages.append(now - state.last_recorded / 1e6)
    held = state.evidence.series
    for writer, owned in enumerate(series):
        log.folded[writer].append(sum(held[key].size for key in owned if key in held))
