"""The soak benchmark's figures (``soak.py``): the final check, the summary, the table."""

from __future__ import annotations

import json
import math
import time
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

import soak_load as load

import sla_ledger as sl

MIB = 1024  # KiB
COLUMN_BYTES = 17  # a probe in the projection's columns: instant, outcome, recording instant

DEFINITIONS = {
    "probes_per_s": "probes acknowledged by record_probes during the load, over its length",
    "write_latency_ms": "wall time of each record_probes call (validation, duplicate check, "
    "catching up with the other writers' batches, the commit, folding the batch), per call",
    "projection_lag_ms": "per batch and reader: from the moment the batch's transaction had "
    "committed (the writer's store call returned) to the end of the reader's first catch_up() "
    "whose projection holds it. A reader calls catch_up() before each read; it holds a batch "
    "once its folded probe count for that writer reaches the writer's count after the batch",
    "projection_age_ms": "after each reader catch_up(): now minus recorded_at of the newest "
    "event folded (recorded_at is stamped just before the commit, so this includes the write)",
    "rss": "VmRSS of each process, sampled from /proc by the parent; start = when the load "
    "began (each process had opened its ledger and caught up), warm = 10 % into the load, "
    "middle and end of the load, tail_end = end of the tail",
    "slope_mib_per_min": "least-squares slope of RSS over the second half of the load",
    "growth_bytes_per_probe": "(RSS at end - RSS at warm) / probes recorded in between: every "
    "process folds every probe (writers catch up before each batch), so this is what a "
    "process holds per probe; compare fresh_fold_bytes_per_probe",
    "fresh_fold_bytes_per_probe": "RSS a fresh ledger adds when it folds the final log, per probe",
    "tail": "seconds after the load in which writers send already recorded batches again "
    "(all duplicates) and readers keep reading: no new data, so growth here is not data. "
    "Readers stop writing down what they see 5 s into the tail (half of it if shorter); "
    "tail_growth and tail_slope are measured from then to the tail's end",
    "nothing_lost": "a fresh ledger holds, for every series of every writer, exactly the "
    "probes acknowledged to it (instants and outcomes), and every incident declared",
}


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float | int | None]:
    """p50, p99 and max (nearest rank), times ``scale`` (seconds to ms by default)."""
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)] * scale, 2)

    return {"n": len(ordered), "p50": rank(0.5), "p99": rank(0.99), "max": rank(1.0)}


# -- the final check ---------------------------------------------------------------------------


def read_logs(plan: load.Plan, readers: int) -> dict[str, Any]:
    """What each writer and reader wrote down."""

    def one(name: str) -> dict[str, Any]:
        path = Path(plan.out, f"{name}.json")
        if not path.exists():
            return {"errors": [f"{name} left no log (did it crash?)"]}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    return {
        "writers": [one(f"writer-{w}") for w in range(plan.writers)],
        "readers": [one(f"reader-{r}") for r in range(readers)],
    }


def check_main(plan: load.Plan, readers: int, issued: int) -> None:
    """The final check's process: its result goes to ``check.json``."""
    check = final_check(plan, read_logs(plan, readers), issued)
    Path(plan.out, "check.json").write_text(json.dumps(check))


def final_check(plan: load.Plan, logs: dict[str, Any], issued: int) -> dict[str, Any]:
    """A fresh ledger on the store: every acknowledged probe and incident there, the issued
    statements, and ``verify()``."""
    before = load.rss_kib()
    began = time.perf_counter()
    ledger = sl.open_ledger(plan.url)
    state = ledger.catch_up()
    fold_s = time.perf_counter() - began
    held_kib = load.rss_kib() - before
    writers = [_check_writer(plan, state, w, log) for w, log in enumerate(logs["writers"])]
    statements = len(ledger.statements())
    began = time.perf_counter()
    verified = ledger.verify()
    verify_s = time.perf_counter() - began
    events = state.position
    ledger.close()
    probes = sum(w["in_ledger"] for w in writers)
    lost = sum(w["lost"] for w in writers)
    return {
        "events": events,
        "probes_in_ledger": probes,
        "writers": writers,
        "lost": lost,
        "unacknowledged_extra": sum(w["extra"] for w in writers),
        "incidents_lost": sum(w["incidents_declared"] - w["incidents_in_ledger"] for w in writers),
        "statements": statements,
        "statements_issued": issued,
        "fresh_fold_s": round(fold_s, 3),
        "fresh_fold_mib": round(held_kib / MIB, 1),
        "fresh_fold_bytes_per_probe": round(held_kib * 1024 / probes, 1) if probes else None,
        "verify_ok": verified.ok,
        "verify_events": verified.events,
        "verify_findings": [f"{f.kind} at {f.position}: {f.message}" for f in verified.findings][
            :20
        ],
        "verify_s": round(verify_s, 3),
    }


def _check_writer(plan: load.Plan, state: Any, writer: int, log: dict[str, Any]) -> dict[str, Any]:
    acknowledged = int(log.get("acknowledged", 0))
    series = plan.series(writer)
    full, rest = divmod(acknowledged, len(series))
    held = state.evidence.series
    in_ledger = lost = downs_wrong = 0
    for k, key in enumerate(series):
        n = full + (k < rest)
        first = plan.t0_us + (k % 3) * load.OFFSET_US
        expected = array("q", range(first, first + n * plan.step_us, plan.step_us))
        ats, oks, _ = held[key].columns() if key in held else (array("q"), bytearray(), None)
        in_ledger += len(ats)
        if ats[:n] != expected:
            lost += len(set(expected) - set(ats))
        elif oks[:n].count(0) != load.downs_expected(k, n):
            downs_wrong += 1
    prefix = f"soak-w{writer}-"
    incidents = sum(1 for i in state.incidents.values() if i.services[0].startswith(prefix))
    return {
        "acknowledged": acknowledged,
        "in_ledger": in_ledger,
        "lost": lost,
        "extra": in_ledger - (acknowledged - lost),
        "series_with_wrong_outcomes": downs_wrong,
        "incidents_declared": int(log.get("incidents", 0)),
        "incidents_in_ledger": incidents,
    }


# -- the summary -------------------------------------------------------------------------------


def lags(writers: list[dict[str, Any]], reader: dict[str, Any]) -> tuple[list[float], int, int]:
    """Each batch's projection lag in one reader, the batches it held before their writer
    saw the commit return (clock granularity), and those it never observed."""
    observed = reader.get("observed", [])
    found: list[float] = []
    early = unseen = 0
    for w, log in enumerate(writers):
        folded = reader.get("folded", [[]] * len(writers))[w]
        previous = 0
        for commit, cumulative in zip(
            log.get("commits", []), log.get("cumulative", []), strict=True
        ):
            if cumulative == previous:
                continue  # the batch recorded nothing new
            previous = cumulative
            i = bisect_left(folded, cumulative)
            if i == len(folded):
                unseen += 1
                continue
            lag = observed[i] - commit
            early += lag < 0
            found.append(max(0.0, lag))
    return found, early, unseen


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x."""
    if len(points) < 3:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def memory(name: str, samples: list[dict[str, Any]], plan: load.Plan) -> dict[str, Any]:
    """One process's RSS over time, and how flat it is. Samples after the tail are left out:
    by then processes are writing their logs and closing."""
    seconds, settle = plan.seconds, plan.settle
    points = [
        (s["t"], s["rss_kib"][name], s["probes"])
        for s in samples
        if s["rss_kib"][name] and s["t"] <= seconds + plan.tail
    ]
    load_points = [p for p in points if p[0] <= seconds]
    tail = [p for p in points if p[0] >= seconds + settle]
    if not load_points:
        return {"samples": []}
    start, end = load_points[0], load_points[-1]
    warm = next(p for p in load_points if p[0] >= 0.1 * seconds or p is end)
    middle = min(load_points, key=lambda p: abs(p[0] - seconds / 2))
    second_half = [(t / 60, kib / MIB) for t, kib, _ in load_points if t >= seconds / 2]
    tail_slope = slope([(t / 60, kib / MIB) for t, kib, _ in tail])
    added = end[2] - warm[2]
    result = {
        "start_mib": round(start[1] / MIB, 1),
        "warm_mib": round(warm[1] / MIB, 1),
        "middle_mib": round(middle[1] / MIB, 1),
        "end_mib": round(end[1] / MIB, 1),
        "tail_end_mib": round(tail[-1][1] / MIB, 1) if tail else None,
        "growth_after_warm_mib": round((end[1] - warm[1]) / MIB, 1),
        "growth_bytes_per_probe": round((end[1] - warm[1]) * 1024 / added, 1) if added else None,
        "slope_mib_per_min": _round(slope(second_half)),
        "tail_growth_mib": round((tail[-1][1] - tail[0][1]) / MIB, 1) if tail else None,
        "tail_slope_mib_per_min": _round(tail_slope),
        "peak_mib": round(max(p[1] for p in points) / MIB, 1),
        "samples": [[round(t, 1), round(kib / MIB, 1)] for t, kib, _ in points],
    }
    return result


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def summarise(
    backend: str,
    plan: load.Plan,
    run: dict[str, Any],
    logs: dict[str, Any],
    check: dict[str, Any],
    info: dict[str, Any],
) -> dict[str, Any]:
    writers, readers = logs["writers"], logs["readers"]
    probes = sum(int(w.get("acknowledged", 0)) for w in writers)
    found: list[float] = []
    early = unseen = 0
    for reader in readers:
        lag, e, u = lags(writers, reader)
        found, early, unseen = found + lag, early + e, unseen + u
    errors = [f"writer {i}: {e}" for i, w in enumerate(writers) for e in w.get("errors") or []]
    errors += [f"reader {i}: {e}" for i, r in enumerate(readers) for e in r.get("errors") or []]
    names = list(run["samples"][0]["rss_kib"]) if run["samples"] else []
    nothing_lost = (
        check["lost"] == 0
        and check["incidents_lost"] == 0
        and all(w["series_with_wrong_outcomes"] == 0 for w in check["writers"])
        and probes == check["probes_in_ledger"]
    )
    return {
        "backend": backend,
        "store": info,
        "seconds": plan.seconds,
        "tail_seconds": plan.tail,
        "writers": plan.writers,
        "readers": len(readers),
        "services": plan.writers * plan.services,
        "batch": plan.batch,
        "rate_limit_per_writer": plan.rate or None,
        "probes": probes,
        "probes_per_s": round(probes / plan.seconds),
        "batches": sum(len(w.get("latencies", [])) for w in writers),
        "write_latency_ms": percentiles([x for w in writers for x in w.get("latencies", [])]),
        "incidents": sum(int(w.get("incidents", 0)) for w in writers),
        "incident_latency_ms": percentiles(
            [x for w in writers for x in w.get("incident_latencies") or []]
        ),
        "throttled_real_time_s": round(sum(w.get("throttled_real_time_s", 0) for w in writers), 1),
        "throttled_rate_s": round(sum(w.get("throttled_rate_s", 0) for w in writers), 1),
        "retries": sum(int(w.get("retries", 0)) for w in writers),
        "duplicates_after_retries": sum(int(w.get("duplicates", 0)) for w in writers),
        "resent_batches": sum(int(w.get("resent_batches", 0)) for w in writers),
        "resent_recorded": sum(int(w.get("resent_recorded", 0)) for w in writers),
        "projection_lag_ms": percentiles(found),
        "projection_lag_before_commit": early,
        "projection_lag_unobserved": unseen,
        "projection_age_ms": percentiles([a for r in readers for a in r.get("ages", [])]),
        "reads": {
            kind: percentiles([x for r in readers for x in r.get(f"{kind}_s", [])])
            for kind in ("catch_up", "compute", "statement_for", "statements")
        },
        "memory": {name: memory(name, run["samples"], plan) for name in names},
        "reader_log_mib": [round(r.get("log_bytes", 0) / 2**20, 1) for r in readers],
        "check": check,
        "hung": run["hung"],
        "errors": errors[:50],
        "nothing_lost": nothing_lost,
        "ok": nothing_lost and check["verify_ok"] and not errors and not run["hung"],
    }


# -- the table ---------------------------------------------------------------------------------


def _ms(p: dict[str, Any]) -> str:
    return "-" if p["p50"] is None else f"{p['p50']:,.1f} / {p['p99']:,.1f} / {p['max']:,.1f}"


def report(results: dict[str, Any]) -> None:
    for backend, r in results["runs"].items():
        check = r["check"]
        rows = [
            (
                f"{backend}: {r['writers']} writers, {r['readers']} readers, "
                f"{r['services']} services, batches of {r['batch']:,}, "
                f"{r['seconds'] / 60:g} min + {r['tail_seconds']:g} s tail",
                "",
            ),
            ("  probes recorded", f"{r['probes']:,}"),
            ("  probes/s", f"{r['probes_per_s']:,}"),
            ("  write latency ms p50 / p99 / max", _ms(r["write_latency_ms"])),
            (
                "  incidents declared (latency ms p50 / p99 / max)",
                f"{r['incidents']} ({_ms(r['incident_latency_ms'])})",
            ),
            ("  projection lag ms p50 / p99 / max", _ms(r["projection_lag_ms"])),
            (
                "    (commit to the end of the first reader catch_up() holding the batch)",
                f"{r['projection_lag_before_commit']:,} of {r['projection_lag_ms']['n']:,} "
                "batches held before their writer read its clock: counted as 0",
            ),
            ("  projection age ms p50 / p99 / max", _ms(r["projection_age_ms"])),
            ("    (after each reader catch_up(): now - newest recorded_at folded)", ""),
            ("  compute_statement ms p50 / p99 / max", _ms(r["reads"]["compute"])),
            ("  statements() ms p50 / p99 / max", _ms(r["reads"]["statements"])),
            (
                "  fresh open + fold of the final log",
                f"{check['fresh_fold_s']:.1f} s, {check['fresh_fold_bytes_per_probe']} B/probe",
            ),
            (
                "  verify() by replay",
                f"{check['verify_s']:.1f} s, "
                f"{'ok' if check['verify_ok'] else 'FINDINGS'}, {check['verify_events']:,} events",
            ),
            (
                "  nothing lost",
                f"{'yes' if r['nothing_lost'] else 'NO'}: "
                f"{check['probes_in_ledger']:,} probes in the ledger, lost {check['lost']}, "
                f"incidents lost {check['incidents_lost']}",
            ),
            (
                "  tail: batches sent again / recorded again",
                f"{r['resent_batches']:,} / {r['resent_recorded']:,}",
            ),
            ("  store size", f"{r['store'].get('store_mib')} MiB"),
        ]
        width = max(len(label) for label, _ in rows) + 2
        for label, value in rows:
            print(f"{label:<{width}}{value}".rstrip())
        print(
            "  memory (MiB): start / middle / end / tail end; slope of 2nd half; B/probe grown;"
            " tail growth"
        )
        for name, m in r["memory"].items():
            if not m.get("samples"):
                print(f"    {name:<9} no samples")
                continue
            print(
                f"    {name:<9} {m['start_mib']:7.1f} / {m['middle_mib']:7.1f} / "
                f"{m['end_mib']:7.1f} / {m['tail_end_mib'] or 0:7.1f}   "
                f"{m['slope_mib_per_min'] or 0:+7.2f} MiB/min   "
                f"{m['growth_bytes_per_probe'] or 0:6.1f} B/probe   "
                f"tail {m['tail_growth_mib'] or 0:+.1f} MiB"
            )
        if r["retries"]:
            print(f"  record_probes calls that failed and were sent again: {r['retries']}")
        for error in r["errors"][:10]:
            print(f"  error: {error}")
        if r["hung"]:
            print(f"  processes that had to be ended: {', '.join(r['hung'])}")
        print(f"  verdict: {'ok' if r['ok'] else 'NOT ok'}")
        print()
