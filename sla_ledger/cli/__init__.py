"""The ``sla-ledger`` command: parse, call ``SlaLedger``, format.

Human-readable output by default, ``--json`` for machines. Every error is one
line on stderr, ``error: ...``, with exit code 2 for bad input or usage and 1
for anything else (the store could not be opened or written).
"""

from sla_ledger.cli import backup as _backup  # the recovery commands
from sla_ledger.cli import commands as _commands  # registers the commands on ``main``
from sla_ledger.cli import residency as _residency  # and the data-residency ones
from sla_ledger.cli.app import main

__all__ = ["main"]
del _backup, _commands, _residency
