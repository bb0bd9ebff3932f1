"""sla-ledger soak benchmark: sustained ingestion from several writers while statements are read.

    .venv/bin/python benchmarks/soak.py [--backend postgres|sqlite|both] [--minutes 10]
        [--writers 4] [--readers 1] [--batch 1000] [--rate 0] [--services 20] [--tail S]

For each backend, a fresh store (SQLite: a file in a temporary folder; PostgreSQL: a new
database on $SLA_LEDGER_TEST_POSTGRES_URL's server, or on a throwaway server started with
scripts/pg_server.py) gets the services and contracts, and the months already due closed.
Then, for ``--minutes``, writer processes (spawned) send probe batches through
``record_probes`` as fast as they can (or at ``--rate`` probes/s in all), and now and then
an incident; reader processes catch up and read statements (``compute_statement`` for this
month, ``statement_for`` an issued one, ``statements()``) in a loop; this process samples
the resident memory (VmRSS) of each of them. A tail (``--tail`` seconds) follows in which
nothing new is written: writers send already recorded batches again (all duplicates) and
readers keep reading, so any memory growth there is not data. Last, a ledger in a fresh
process checks that every probe a writer was told was recorded is in the ledger, and
``verify()`` replays the log.

Progress goes to stderr. Prints a table, then one line of JSON (the last line of stdout)
with every figure and how each is defined.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import soak_figures as figures  # noqa: E402
import soak_load as load  # noqa: E402
from run import git_state, machine  # noqa: E402  (reported as run.py reports them)

import sla_ledger as sl  # noqa: E402

POSTGRES_URL_ENV = "SLA_LEDGER_TEST_POSTGRES_URL"
SPEEDUP = 1000  # probe time may run this many times faster than real time
JOIN_TIMEOUT = 300.0


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] soak {message}", file=sys.stderr, flush=True)


# -- stores ------------------------------------------------------------------------------------


@contextmanager
def sqlite_store() -> Iterator[tuple[str, dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="sla-soak-") as directory:
        path = Path(directory) / "soak.db"
        info: dict[str, Any] = {"store": "SQLite file in a temporary folder"}
        yield f"sqlite:///{path}", info
        info["store_mib"] = round(sum(f.stat().st_size for f in Path(directory).iterdir()) / 2**20)


def _pg_server() -> ModuleType:
    path = HERE.parent / "scripts" / "pg_server.py"
    spec = importlib.util.spec_from_file_location("_soak_pg_server", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def postgres_store() -> Iterator[tuple[str, dict[str, Any]]]:
    import psycopg
    from psycopg import sql

    info: dict[str, Any] = {}
    with ExitStack() as stack:
        server = os.environ.get(POSTGRES_URL_ENV)
        if server:
            info["store"] = f"new database on ${POSTGRES_URL_ENV}"
        else:
            pg_server = _pg_server()
            directory = Path(tempfile.mkdtemp(prefix="sla-soak-pg-"))
            stack.callback(pg_server.stop, directory)
            log(f"starting a throwaway PostgreSQL server in {directory}")
            server = pg_server.start(directory)
            info["store"] = "new database on a throwaway server (scripts/pg_server.py)"
        name = f"sla_soak_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            for setting in ("server_version", "fsync", "synchronous_commit"):
                info[setting] = conn.execute(f"SHOW {setting}").fetchone()[0]  # type: ignore[index]
        try:
            yield server.rsplit("/", 1)[0] + f"/{name}", info
        finally:
            with psycopg.connect(server, autocommit=True) as conn:
                size = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
                info["store_mib"] = round(size[0] / 2**20) if size else None
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                conn.execute(drop.format(sql.Identifier(name)))


# -- the run -----------------------------------------------------------------------------------


def soak(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    store = sqlite_store() if backend == "sqlite" else postgres_store()
    with tempfile.TemporaryDirectory(prefix="sla-soak-out-") as out, store as (url, info):
        seconds = args.minutes * 60
        now_us = time.time_ns() // 1000
        lookback = max(3600, SPEEDUP * (seconds + args.tail))
        plan = load.Plan(
            url=url,
            writers=args.writers,
            services=args.services,
            batch=args.batch,
            rate=args.rate / args.writers,
            t0_us=(now_us // 1_000_000 - round(lookback)) * 1_000_000,
            step_us=1_000_000,
            seconds=seconds,
            tail=args.tail,
            incident_every=args.incident_every,
            out=out,
        )
        log(f"{backend}: setting up {args.writers * args.services} services")
        issued = load.set_up(plan)
        run = run_processes(plan, issued, args.readers, backend)
        logs = figures.read_logs(plan, args.readers)
        log(f"{backend}: checking the ledger and verifying it by replay, in a fresh process")
        check = check_in_fresh_process(plan, args.readers, issued[0])
    return figures.summarise(backend, plan, run, logs, check, info)


def run_processes(
    plan: load.Plan, issued: tuple[int, str], readers: int, backend: str
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    start, started = context.Event(), context.RawValue("d", 0.0)
    progress = [context.RawValue("q", 0) for _ in range(plan.writers + readers)]
    processes = {
        f"writer {w}": context.Process(
            target=load.write, args=(plan, w, start, started, progress[w]), name=f"soak-w{w}"
        )
        for w in range(plan.writers)
    } | {
        f"reader {r}": context.Process(
            target=load.read,
            args=(plan, issued, start, started, progress[plan.writers + r], r),
            name=f"soak-r{r}",
        )
        for r in range(readers)
    }
    for process in processes.values():
        process.start()
    wait_ready(plan, processes)
    started.value = time.time()
    start.set()
    log(f"{backend}: {plan.writers} writers and {readers} readers started")
    try:
        samples = sample(plan, processes, progress, started.value, backend)
        hung = join(processes)
    except BaseException:  # interrupted: leave no process behind
        for process in processes.values():
            process.terminate()
        raise
    return {"started": started.value, "samples": samples, "hung": hung}


def wait_ready(plan: load.Plan, processes: dict[str, Any]) -> None:
    """Wait until every process has opened its ledger and caught up (it writes a file)."""
    deadline = time.time() + JOIN_TIMEOUT
    waiting = {name: Path(plan.out, "ready-" + name.replace(" ", "-")) for name in processes}
    while not all(path.exists() for path in waiting.values()):
        dead = [n for n, p in processes.items() if not p.is_alive() and not waiting[n].exists()]
        if dead or time.time() > deadline:
            for process in processes.values():
                process.terminate()
            log_file = Path(plan.out, dead[0].replace(" ", "-") + ".json") if dead else None
            why = log_file.read_text()[-2000:] if log_file and log_file.exists() else ""
            raise RuntimeError(f"soak processes not ready: {dead or 'timed out'} {why}")
        time.sleep(0.05)


def sample(
    plan: load.Plan,
    processes: dict[str, Any],
    progress: list[Any],
    began: float,
    backend: str,
) -> list[dict[str, Any]]:
    """RSS of every process and the probes recorded so far, every ``interval`` seconds,
    until the end of the tail; a progress line to stderr now and then."""
    total = plan.seconds + plan.tail
    interval = max(0.25, min(2.0, plan.seconds / 300))
    every = 60.0 if plan.seconds >= 120 else 10.0
    samples: list[dict[str, Any]] = []
    next_line = began + every
    while (now := time.time()) < began + total:
        rss = {name: load.rss_kib(p.pid) for name, p in processes.items()}
        probes = sum(v.value for v in progress[: plan.writers])
        samples.append({"t": round(now - began, 3), "probes": probes, "rss_kib": rss})
        if now >= next_line:
            next_line += every
            progress_line(plan, samples, progress, backend, every)
        time.sleep(interval)
    return samples


def progress_line(
    plan: load.Plan, samples: list[dict[str, Any]], progress: list[Any], backend: str, every: float
) -> None:
    last = samples[-1]
    earlier = [s for s in samples if s["t"] <= last["t"] - every] or samples[:1]
    rate = (last["probes"] - earlier[-1]["probes"]) / max(1e-9, last["t"] - earlier[-1]["t"])
    reads = sum(v.value for v in progress[plan.writers :])
    rss = " ".join(
        f"{name.split()[0][0]}{name.split()[1]}={kib / 1024:.0f}"
        for name, kib in last["rss_kib"].items()
    )
    phase = "tail" if last["t"] > plan.seconds else "load"
    log(
        f"{backend}: {last['t'] / 60:5.1f} / {plan.seconds / 60:g} min ({phase}), "
        f"{last['probes']:,} probes ({rate:,.0f}/s lately), {reads:,} reader rounds, "
        f"RSS MiB {rss}"
    )


def check_in_fresh_process(plan: load.Plan, readers: int, issued: int) -> dict[str, Any]:
    """``figures.final_check`` in a new process, so that the memory its fold takes is its own."""
    process = multiprocessing.get_context("spawn").Process(
        target=figures.check_main, args=(plan, readers, issued), name="soak-check"
    )
    process.start()
    process.join()
    path = Path(plan.out, "check.json")
    if process.exitcode != 0 or not path.exists():
        raise RuntimeError(f"the final check failed (exit code {process.exitcode})")
    check: dict[str, Any] = json.loads(path.read_text())
    return check


def join(processes: dict[str, Any]) -> list[str]:
    """Wait for every process; one still running after ``JOIN_TIMEOUT`` is ended (by its own
    handle) and named."""
    hung = []
    deadline = time.time() + JOIN_TIMEOUT
    for name, process in processes.items():
        process.join(max(1.0, deadline - time.time()))
        if process.is_alive():
            hung.append(name)
            process.terminate()
            process.join(10)
    return hung


# -- main --------------------------------------------------------------------------------------


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load")
    parser.add_argument("--writers", type=int, default=4, help="writer processes")
    parser.add_argument("--readers", type=int, default=1, help="reader processes")
    parser.add_argument("--batch", type=int, default=1000, help="probes per record_probes call")
    parser.add_argument("--rate", type=float, default=0, help="probes/s in all; 0: flat out")
    parser.add_argument("--services", type=int, default=20, help="services per writer")
    parser.add_argument(
        "--tail",
        type=float,
        default=None,
        help="seconds without new data (default 10%% of the run, 2-60 s)",
    )
    parser.add_argument("--incident-every", type=float, default=20.0, help="seconds per writer")
    args = parser.parse_args(argv)
    if args.writers < 1 or args.readers < 0 or args.batch < 1 or args.minutes <= 0:
        parser.error("--writers and --batch must be at least 1, --minutes above 0")
    if args.tail is None:
        args.tail = min(60.0, max(2.0, args.minutes * 6))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    # Ended with SIGTERM, unwind as for Ctrl-C: stores, servers and processes are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[str, Any] = {
        "machine": machine(),
        "library": git_state(),
        "version": sl.__version__ if hasattr(sl, "__version__") else None,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "config": {k: v for k, v in vars(args).items()},
        "definitions": figures.DEFINITIONS,
        "runs": {},
    }
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        results["runs"][backend] = soak(backend, args)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    print()
    figures.report(results)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
