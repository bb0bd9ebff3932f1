"""Processes the backup tests run beside themselves, through the public API.

python backup_processes.py write URL LOCATION STOPFILE
    records one probe of ``api`` from LOCATION per batch, a second apart from
    4 May 2026 on, until STOPFILE exists; prints how many batches it recorded.
python backup_processes.py backup-and-die URL DIRECTORY [--append]
    backs the store up into DIRECTORY and kills itself (SIGKILL) as soon as the
    first page of events is written, with more to come.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sla_ledger import Probe, open_ledger
from sla_ledger.audit.backup import backup

FIRST_PROBE = datetime(2026, 5, 4, tzinfo=UTC)


def write(url: str, location: str, stop: Path) -> None:
    ledger = open_ledger(url)  # the system clock: writers race, the store keeps them in order
    batches = 0
    while not stop.exists():
        at = FIRST_PROBE + timedelta(seconds=batches)
        ledger.record_probes([Probe("api", location, at, batches % 10 != 0)])
        batches += 1
    ledger.close()
    print(batches)


def backup_and_die(url: str, directory: Path, append: bool) -> None:
    def die_part_way(done: int, total: int) -> None:
        if done < total:
            os.kill(os.getpid(), signal.SIGKILL)

    backup(open_ledger(url), directory, append=append, on_progress=die_part_way)


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "write":
        write(url, rest[0], Path(rest[1]))
    elif command == "backup-and-die":
        backup_and_die(url, Path(rest[0]), append="--append" in rest)
    else:
        raise SystemExit(f"unknown command {command!r}")
