"""The data-residency commands: bind a store to a region, authorise a transfer, show both."""

from __future__ import annotations

import click

from sla_ledger import open_ledger
from sla_ledger.cli.app import common_options, main, print_json, sqlite_path, store


@main.command()
@click.option("--region", required=True, help="The region the store's records reside in.")
@common_options
@click.pass_context
def init(ctx: click.Context, region: str, as_json: bool) -> None:
    """Create the store, if needed, and bind it to a region (data residency).

    A bound store refuses contracts and services of other regions, and imports
    of another region's ledger without an authorised transfer. Running it again
    with the same region changes nothing; with another region it is refused.

    \b
    Example:
      sla-ledger --url sqlite:///eu.db init --region eu
    """
    url: str = ctx.obj
    sqlite_path(url)
    ledger = open_ledger(url, region=region)
    if as_json:
        print_json({"url": url, "region": ledger.region})
    else:
        click.echo(f"the ledger at {url} is bound to region {ledger.region}")


@main.command("authorise-transfer")
@click.option("--to", "to_region", required=True, help="The region the records may move to.")
@click.option(
    "--agreement", required=True, help="The written agreement allowing it, e.g. 'MSA-2026-17 §9.3'."
)
@click.option("--by", "authorised_by", required=True, help="Who authorised it.")
@click.option("--customer", help="Only this customer's records (default: the whole ledger).")
@common_options
@click.pass_context
def authorise_transfer(
    ctx: click.Context,
    to_region: str,
    agreement: str,
    authorised_by: str,
    customer: str | None,
    as_json: bool,
) -> None:
    """Record leave to move the ledger's records to another region.

    An export made afterwards imports into a store bound to that region; without
    it, such an import is refused.

    \b
    Example:
      sla-ledger authorise-transfer --to us --agreement "MSA-2026-17 §9.3" --by "J. Doe, DPO"
      sla-ledger export ledger.jsonl
      sla-ledger --url sqlite:///us.db init --region us
      sla-ledger --url sqlite:///us.db import ledger.jsonl
    """
    ledger = store(ctx)
    authorisation = ledger.authorise_transfer(to_region, agreement, authorised_by, customer)
    if as_json:
        print_json({"authorisation_id": str(authorisation), "to_region": to_region})
    else:
        click.echo(f"authorised transfer {authorisation} from {ledger.region} to {to_region}")


@main.command()
@common_options
@click.pass_context
def region(ctx: click.Context, as_json: bool) -> None:
    """Show the region the store is bound to, and every transfer authorised.

    \b
    Example:
      sla-ledger region --json
    """
    ledger = store(ctx)
    bound, transfers = ledger.region, ledger.transfers()
    if as_json:
        print_json(
            {
                "region": bound,
                "transfers": [
                    {
                        "authorisation_id": str(t.authorisation_id),
                        "from_region": t.from_region,
                        "to_region": t.to_region,
                        "agreement": t.agreement,
                        "authorised_by": t.authorised_by,
                        "customer": t.customer,
                        "recorded_at": t.recorded_at.isoformat(),
                    }
                    for t in transfers
                ],
            }
        )
        return
    click.echo(
        f"bound to region {bound}"
        if bound
        else "bound to no region: it accepts records of any region ('sla-ledger init --region')"
    )
    for t in transfers:
        scope = f"customer {t.customer!r}" if t.customer else "the whole ledger"
        click.echo(
            f"transfer {t.from_region} -> {t.to_region} of {scope}: {t.agreement}, "
            f"authorised by {t.authorised_by} at {t.recorded_at.isoformat()}"
        )
