"""``sla-ledger explain``: the full derivation of one statement."""

from __future__ import annotations

from datetime import datetime

import click

from sla_ledger import formatting as fmt
from sla_ledger.audit.explain import explain as explain_statement
from sla_ledger.cli.app import INSTANT, common_options, main, print_json, store
from sla_ledger.cli.audit import CheckFailed
from sla_ledger.cli.explain_view import explanation_view


@main.command()
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.option("--line", "line_id", required=True, help="Line id.")
@click.option("--month", required=True, help="Measurement month, YYYY-MM.")
@click.option("--as-known-at", type=INSTANT, help="Explain the statement current at this instant.")
@common_options
@click.pass_context
def explain(
    ctx: click.Context,
    contract_id: str,
    line_id: str,
    month: str,
    as_known_at: datetime | None,
    as_json: bool,
) -> None:
    """Show how a statement was derived, from each piece of evidence to the credit.

    Explains the issued statement (the latest version, or the one current at
    --as-known-at) from the events it was computed from: every down and unknown
    period with the probes, staleness, incidents and corrections that opened
    and closed it, failures redundancy absorbed, blips, each maintenance
    window's fate, and the arithmetic. A month not issued yet is explained as
    computed now. Exits with code 3 when the derivation does not reproduce the
    issued statement.

    \b
    Example:
      sla-ledger explain --contract acme-eu --line api --month 2026-03
      sla-ledger explain --contract acme-eu --line api --month 2026-03 --json
    """
    explanation = explain_statement(store(ctx), contract_id, line_id, month, as_known_at)
    if as_json:
        print_json(explanation.model_dump(mode="json"))
    else:
        fmt.console().print(explanation_view(explanation))
    if explanation.discrepancies:
        fields = ", ".join(d.field for d in explanation.discrepancies)
        raise CheckFailed(f"the derivation does not reproduce the issued statement: {fields}")
