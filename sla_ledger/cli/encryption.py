"""``sla-ledger keygen``: a key for encrypting a store at rest (docs/encryption.md)."""

from __future__ import annotations

import click

from sla_ledger.adapters.encryption import new_key
from sla_ledger.cli.app import common_options, main, print_json


@main.command()
@common_options
def keygen(as_json: bool) -> None:
    """Print a new random AES-256 key for encrypting a store's events at rest.

    Every command, and open_ledger(), encrypts what it stores and decrypts
    what it reads with the key in $SLA_LEDGER_CIPHER_KEY. Keep the key apart
    from the store: without it the events cannot be read, by you or anyone.
    Needs pip install 'sla-ledger[encryption]'.

    \b
    Example:
      export SLA_LEDGER_CIPHER_KEY=$(sla-ledger keygen)
      sla-ledger --url sqlite:///secret.db init --region eu
    """
    key = new_key()
    if as_json:
        print_json({"key": key})
    else:
        click.echo(key)
