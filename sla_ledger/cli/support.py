"""``sla-ledger case ...``, ``exclude`` and ``withdraw-exclusion``: support cases and
exclusions (docs/support.md, docs/rules.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import click
from rich.table import Table

from sla_ledger import ResponseStatement, SlaLedger
from sla_ledger import formatting as fmt
from sla_ledger.cli.app import INSTANT, common_options, main, print_json, store
from sla_ledger.cli.support_view import response_view, table


@main.group()
def case() -> None:
    """Support cases: open one, change its severity, respond, update, resolve, list.

    A response, an update, a severity change and a resolution take effect when
    they are recorded: they cannot be backdated. Only the opening may be earlier
    than now (when the customer raised the case).

    \b
    Example:
      sla-ledger case open --contract acme-eu --severity sev1 --subject "API errors"
      sla-ledger case respond 5b0c4c1e-... --note "looking into it"
    """


@case.command("open")
@click.option("--contract", "contract_id", required=True, help="Contract id.")
@click.option("--severity", required=True, help="A severity of the contract's support tier.")
@click.option("--opened-at", type=INSTANT, help="When the customer raised it (default: now).")
@click.option("--subject", default="", help="What it is about.")
@common_options
@click.pass_context
def open_case(
    ctx: click.Context,
    contract_id: str,
    severity: str,
    opened_at: datetime | None,
    subject: str,
    as_json: bool,
) -> None:
    """Open a support case of a contract and print its id.

    \b
    Example:
      sla-ledger case open --contract acme-eu --severity sev1 --subject "API errors"
      sla-ledger case open --contract acme-eu --severity sev2 --opened-at 2026-04-28T10:00:00Z
    """
    case_id = store(ctx).open_case(contract_id, severity, opened_at, subject)
    if as_json:
        print_json({"case_id": str(case_id)})
    else:
        click.echo(f"opened case {case_id} of contract {contract_id} (severity {severity})")


CASE = "5b0c4c1e-8d3a-4c55-9f0e-2a7d1c9b6e10"  # in the examples


def _step(name: str, verb: str, call: str, note: str) -> None:
    help_text = (
        f"Record that a case was {verb}, now: it cannot be backdated.\n\n"
        f'\b\nExample:\n  sla-ledger case {name} {CASE} --note "{note}"'
    )

    @case.command(name, help=help_text)
    @click.argument("case_id", type=click.UUID)
    @click.option("--note", default="", help="What was said.")
    @common_options
    @click.pass_context
    def command(ctx: click.Context, case_id: UUID, note: str, as_json: bool) -> None:
        getattr(store(ctx), call)(case_id, note)
        if as_json:
            print_json({"case_id": str(case_id), name: True})
        else:
            click.echo(f"{verb} case {case_id}")


_step("respond", "responded to", "respond", "looking into it")
_step("update", "updated", "update_case", "fix deployed, watching")
_step("resolve", "resolved", "resolve_case", "fixed in 2.4.1")


@case.command("severity")
@click.argument("case_id", type=click.UUID)
@click.argument("severity")
@click.option("--reason", default="", help="Why.")
@common_options
@click.pass_context
def change_severity(
    ctx: click.Context, case_id: UUID, severity: str, reason: str, as_json: bool
) -> None:
    """Give a case another severity from now on.

    \b
    Example:
      sla-ledger case severity 5b0c4c1e-8d3a-4c55-9f0e-2a7d1c9b6e10 sev2 --reason "workaround"
    """
    store(ctx).change_severity(case_id, severity, reason)
    if as_json:
        print_json({"case_id": str(case_id), "severity": severity})
    else:
        click.echo(f"case {case_id} is now of severity {severity}")


@case.command("list")
@click.option("--contract", "contract_id", help="Only this contract's cases.")
@common_options
@click.pass_context
def list_cases(ctx: click.Context, contract_id: str | None, as_json: bool) -> None:
    """List support cases in the order they were opened.

    \b
    Example:
      sla-ledger case list --contract acme-eu --json
    """
    found = store(ctx).cases(contract_id)
    if as_json:
        print_json([c.model_dump(mode="json") for c in found])
    elif not found:
        click.echo("no support cases")
    else:
        rows = [
            (str(c.case_id), c.severity, fmt.utc(c.opened_at), c.subject or "-",
             "-" if c.first_response_at is None else fmt.utc(c.first_response_at),
             "-" if c.resolved_at is None else fmt.utc(c.resolved_at))
            for c in found
        ]  # fmt: skip
        columns = ("case", "severity", "opened", "subject", "first response", "resolved")
        fmt.console().print(table("Support cases", columns, rows))


@main.command()
@click.option("--category", required=True, help="e.g. customer-caused, force-majeure.")
@click.option("--service", "services", multiple=True, required=True, help="Repeat for several.")
@click.option("--start", type=INSTANT, required=True, help="Start of the excluded window.")
@click.option("--end", type=INSTANT, required=True, help="End of the window (exclusive).")
@click.option("--reason", required=True, help="Why it is excluded.")
@click.option("--decided-by", required=True, help="Who decided it.")
@click.option("--contract", "contract_id", help="Only for this contract (default: every one).")
@common_options
@click.pass_context
def exclude(
    ctx: click.Context,
    category: str,
    services: tuple[str, ...],
    start: datetime,
    end: datetime,
    reason: str,
    decided_by: str,
    contract_id: str | None,
    as_json: bool,
) -> None:
    """Record a decision to exclude a window of services from measurement (not maintenance).

    It applies to contracts that allow its category, and every statement it
    touches lists it, applied or not.

    \b
    Example:
      sla-ledger exclude --category customer-caused --service api \\
        --start 2026-04-10T12:00:00Z --end 2026-04-10T12:30:00Z \\
        --reason "customer's firewall change" --decided-by "J. Doe, service manager"
    """
    exclusion_id = store(ctx).exclude(
        category, list(services), start, end, reason, decided_by, contract_id
    )
    if as_json:
        print_json({"exclusion_id": str(exclusion_id)})
    else:
        click.echo(f"recorded exclusion {exclusion_id} ({category})")


@main.command("withdraw-exclusion")
@click.argument("exclusion_id", type=click.UUID)
@click.option("--reason", required=True, help="Why it no longer applies.")
@click.option("--decided-by", required=True, help="Who decided it.")
@common_options
@click.pass_context
def withdraw_exclusion(
    ctx: click.Context, exclusion_id: UUID, reason: str, decided_by: str, as_json: bool
) -> None:
    """Withdraw an exclusion; the statements it changed are restated at the next close.

    \b
    Example:
      sla-ledger withdraw-exclusion 0d9e3c52-7f1a-4b8e-9c6d-3e2f1a0b9c87 \\
        --reason "our firewall after all" --decided-by "J. Doe, service manager"
    """
    store(ctx).withdraw_exclusion(exclusion_id, reason, decided_by)
    if as_json:
        print_json({"exclusion_id": str(exclusion_id), "withdrawn": True})
    else:
        click.echo(f"withdrew exclusion {exclusion_id}")


def response_shown(
    ledger: SlaLedger, contract_id: str, month: str, as_known_at: datetime | None
) -> tuple[str, ResponseStatement] | None:
    """The issued response statement, or provisional figures (month to date), or None."""
    return ledger.shown_response_statement(contract_id, month, as_known_at)


def responses_table(responses: Sequence[ResponseStatement], title: str) -> Table:
    """A line per response statement: targets met and missed, response credits."""
    rows = [
        (r.contract_id, r.month, f"v{r.version}" + (" (restated)" if r.version > 1 else ""),
         str(r.met), str(r.missed),
         ", ".join(fmt.money(x.response_credit, x.currency) for x in r.lines if x.response_credit)
         or "none")
        for r in responses
    ]  # fmt: skip
    columns = ("contract", "month", "version", "met", "missed", "response credit")
    return table(title, columns, rows)


def print_response(shown: tuple[str, ResponseStatement]) -> None:
    fmt.console().print(response_view(shown[1], shown[0]))
