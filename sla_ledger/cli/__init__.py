"""The ``sla-ledger`` command: parse, call ``SlaLedger``, format.

Human-readable output by default, ``--json`` for machines. Every error is one
line on stderr, ``error: ...``, with exit code 2 for bad input or usage, 1
for anything else (the store could not be opened or written), and 3 when
``verify``, ``check-proof`` or ``explain`` finds that what they check does not hold.
"""

from sla_ledger.cli import audit as _audit  # digest, verify, prove, check-proof
from sla_ledger.cli import backup as _backup  # backup, restore
from sla_ledger.cli import commands as _commands  # registers the commands on ``main``
from sla_ledger.cli import completion as _completion  # completion bash|zsh|fish
from sla_ledger.cli import encryption as _encryption  # keygen
from sla_ledger.cli import explain as _explain  # explain
from sla_ledger.cli import history as _history  # diff
from sla_ledger.cli import importers as _importers  # ingest prometheus|csv, terms apply
from sla_ledger.cli import reports as _reports  # report, portfolio
from sla_ledger.cli import residency as _residency  # and the data-residency ones
from sla_ledger.cli import support as _support  # case ..., exclude, withdraw-exclusion
from sla_ledger.cli.app import main

__all__ = ["main"]
del (
    _audit,
    _backup,
    _commands,
    _completion,
    _encryption,
    _explain,
    _history,
    _importers,
    _reports,
    _residency,
    _support,
)
