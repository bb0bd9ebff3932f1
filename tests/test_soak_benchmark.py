"""The soak benchmark (benchmarks/soak.py) runs end to end for a few seconds on each backend,
and the figures in its JSON line hang together: probes recorded, none lost, verified."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOAK = ROOT / "benchmarks" / "soak.py"
WRITERS = 4
SECONDS = 3
ARGUMENTS = ["--minutes", str(SECONDS / 60), "--writers", str(WRITERS), "--services", "5"]
ARGUMENTS += ["--batch", "300", "--tail", "1.5", "--incident-every", "1"]


def run_soak(backend: str, **env: str) -> tuple[dict[str, Any], str, str]:
    """The run's figures for ``backend``, its table and its progress lines."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(SOAK), "--backend", backend, *ARGUMENTS],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": path, **env},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    *table, last = result.stdout.strip().splitlines()
    return json.loads(last)["runs"][backend], "\n".join(table), result.stderr


def check_figures(run: dict[str, Any]) -> None:
    check = run["check"]
    assert run["errors"] == [] and run["hung"] == []
    assert run["probes"] > 0 and run["probes_per_s"] > 0
    assert (
        check["probes_in_ledger"] == run["probes"] == sum(w["in_ledger"] for w in check["writers"])
    )
    assert all(w["acknowledged"] == w["in_ledger"] > 0 for w in check["writers"])
    assert check["lost"] == check["unacknowledged_extra"] == check["incidents_lost"] == 0
    assert run["incidents"] == sum(w["incidents_in_ledger"] for w in check["writers"]) > 0
    assert check["verify_ok"] and check["verify_findings"] == []
    assert check["verify_events"] == check["events"] > run["batches"] + run["incidents"]
    assert check["statements"] == check["statements_issued"] > 0
    assert run["nothing_lost"] and run["ok"]
    latency = run["write_latency_ms"]
    assert latency["n"] == run["batches"] and 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    lag = run["projection_lag_ms"]
    assert lag["n"] + run["projection_lag_unobserved"] == run["batches"] * run["readers"]
    assert lag["n"] > 0 and 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    assert run["resent_batches"] > 0 and run["resent_recorded"] == 0
    assert sorted(run["memory"]) == ["reader 0"] + [f"writer {w}" for w in range(WRITERS)]
    for figures in run["memory"].values():
        assert figures["samples"] and 0 < figures["start_mib"] <= figures["peak_mib"]


def test_a_short_soak_on_sqlite_records_verifies_and_loses_nothing():
    run, table, progress = run_soak("sqlite")
    check_figures(run)
    assert "nothing lost" in table and "verdict: ok" in table
    assert "sqlite: 4 writers and 1 readers started" in progress


def test_a_short_soak_on_postgresql_leaves_no_database_behind(postgres_url):
    def databases() -> set[str]:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}

    before = databases()
    run, _, _ = run_soak("postgres", SLA_LEDGER_TEST_POSTGRES_URL=postgres_url)
    check_figures(run)
    assert run["store"]["store"].startswith("new database on $SLA_LEDGER_TEST_POSTGRES_URL")
    assert databases() == before


@pytest.mark.parametrize("bad", [["--writers", "0"], ["--minutes", "0"]])
def test_the_soak_refuses_a_run_without_writers_or_time(bad):
    result = subprocess.run(
        [sys.executable, str(SOAK), *bad], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "must be at least 1" in result.stderr
