"""The work the crash suite kills, run as a process of its own (by ``crash_harness.py``).

python crash_worker.py ingest URL
    records the terms and two months of probes through ``SlaLedger.record_probes``,
    one batch a day (``crash_scenario.ingest``);
python crash_worker.py close URL
    closes April, records a late incident, closes again (``crash_scenario.close``);
python crash_worker.py cli URL ARGS...
    runs ``sla-ledger --url URL ARGS...``, e.g. ``import FILE`` or ``ingest csv FILE``.

Each prints ``started`` just before it first writes, a line after each step, and
``done SECONDS`` once everything is committed, SECONDS after ``started``. Run again,
each sends everything again.
"""

from __future__ import annotations

import sys
import time

from sla_ledger import ManualClock, open_ledger
from tests.reliability import crash_scenario
from tests.reliability.crash_scenario import Say


def printed(line: str) -> None:
    print(line, flush=True)


def run(kind: str, url: str, args: list[str], say: Say = printed) -> int:
    """Do the work; the crash suite also calls this in its own process, for the
    uninterrupted run it compares with."""
    if kind == "cli":
        from sla_ledger.cli import main  # only here: importing the CLI takes a while

        say("started")
        began = time.monotonic()
        code = main.main(["--url", url, *args], standalone_mode=False)
        say(f"done {time.monotonic() - began:.3f}")
        return int(code)
    clock = ManualClock(crash_scenario.SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    ledger.catch_up()
    say("started")
    began = time.monotonic()
    work = {"ingest": crash_scenario.ingest, "close": crash_scenario.close}[kind]
    work(ledger, clock, say)
    say(f"done {time.monotonic() - began:.3f}")
    ledger.close()
    return 0


if __name__ == "__main__":
    kind, url, *rest = sys.argv[1:]
    sys.exit(run(kind, url, rest))
