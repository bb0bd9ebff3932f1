"""Running ``crash_worker.py`` as a real process and killing it (SIGKILL) part way.

The parent waits for the worker's ``started`` line, sleeps a random delay drawn
from the seeded generator and sends SIGKILL. A kill lands *mid-work* when the
worker had not yet printed ``done``, *after finishing* when it had (it was still
closing the store or exiting); when the worker had already exited, the kill
*missed* and is not counted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("crash_worker.py")
TIMEOUT = 300  # seconds a worker may take before the harness gives up on it


@dataclass(frozen=True)
class Run:
    """One worker process: what it printed and how it ended."""

    args: tuple[str, ...]
    lines: list[str]
    returncode: int
    seconds: float  # from its ``started`` line to its end, by the harness's clock
    stderr: str
    delay: float | None = None  # when it was to be killed, after ``started``

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def finished(self) -> bool:
        return any(line.startswith("done ") for line in self.lines)

    @property
    def work_seconds(self) -> float:
        """How long the work took, by the worker's own clock: from 'started' to 'done'."""
        return float(next(line for line in self.lines if line.startswith("done ")).split()[1])

    def __str__(self) -> str:
        delay = "" if self.delay is None else f", kill after {self.delay:.3f} s"
        tail = self.stderr.strip().splitlines()[-3:]
        return (
            f"worker {' '.join(self.args)} (exit {self.returncode}{delay}): "
            f"{self.lines[-3:]} {tail}"
        )


def run_worker(*args: str, kill_after: float | None = None) -> Run:
    """Run the worker to its end, or kill it ``kill_after`` seconds after it started."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        watchdog = threading.Timer(TIMEOUT, process.kill)
        watchdog.start()
        try:
            lines = _until_started(process)
            started = time.monotonic()
            if kill_after is not None:
                time.sleep(kill_after)
                process.send_signal(signal.SIGKILL)  # nothing, if it has exited
            out, _ = process.communicate()
            seconds = time.monotonic() - started
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        err.seek(0)
        lines += out.splitlines()
        return Run(args, lines, process.returncode, seconds, err.read(), kill_after)


def _until_started(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines = []
    while (line := process.stdout.readline()) != "":
        lines.append(line.rstrip("\n"))
        if line.startswith("started"):
            return lines
    return lines  # it ended before starting: its return code and stderr say why


@dataclass
class Tally:
    """What one suite's kills did."""

    kills: int = 0
    mid_work: int = 0
    after_finishing: int = 0
    missed: int = 0
    resends: int = 0
    interrupted: bool = False  # whether the last run counted was killed
    rounds: int = 0
    seconds: float = 0.0
    delays: list[float] = field(default_factory=list)

    def count(self, run: Run) -> None:
        """Count a run of a round; every run after a kill re-sends the work it killed."""
        self.resends += self.interrupted
        self.interrupted = run.killed
        if not run.killed:
            self.missed += 1
            return
        self.kills += 1
        self.delays.append(run.delay or 0.0)
        if run.finished:
            self.after_finishing += 1
        else:
            self.mid_work += 1

    def __str__(self) -> str:
        return (
            f"{self.kills} kills ({self.mid_work} mid-work, {self.after_finishing} after "
            f"finishing; {self.missed} missed an exited worker), {self.resends} re-sends, "
            f"{self.rounds} fresh stores, {self.seconds:.1f} s"
        )


# -- stores ------------------------------------------------------------------------------------


def copy_sqlite(url: str, to: Path) -> str:
    """A copy of a closed SQLite store (its file and any journal beside it)."""
    source = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm", "-journal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{to}{suffix}")
    return f"sqlite:///{to}"


@contextmanager
def copied_database(template_url: str) -> Iterator[str]:
    """A new PostgreSQL database copied from another (which nobody may be connected to)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(template_url)
    template, name = parts.path.strip("/"), f"sla_ledger_crash_{uuid.uuid4().hex[:12]}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
        conn.execute(create.format(sql.Identifier(name), sql.Identifier(template)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))
