"""Audit commands: ``digest``, ``verify``, ``prove`` and ``check-proof``.

``verify`` and ``check-proof`` exit with code 3 when what they check does not
hold (a finding, a proof that fails), after printing what they checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import click
from pydantic import ValidationError

from sla_ledger import SlaLedger, open_ledger
from sla_ledger import formatting as fmt
from sla_ledger.adapters.jsonl import import_jsonl
from sla_ledger.audit.proofs import (
    ConsistencyProof,
    InclusionProof,
    check_proof,
    parse_digest,
)
from sla_ledger.audit.verify import VerifyReport
from sla_ledger.cli.app import common_options, main, print_json, store
from sla_ledger.domain.statement import LogDigest
from sla_ledger.exceptions import InvalidProof

FAILED = 3


class CheckFailed(click.ClickException):
    """What was checked does not hold: exit code 3."""

    exit_code = FAILED


class DigestType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3
    """A log digest ``SIZE:ROOT``, as ``sla-ledger digest`` prints it."""

    name = "SIZE:ROOT"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> LogDigest:
        if isinstance(value, LogDigest):
            return value
        try:
            return parse_digest(str(value))
        except InvalidProof as error:
            self.fail(str(error), param, ctx)


@main.command()
@common_options
@click.pass_context
def digest(ctx: click.Context, as_json: bool) -> None:
    """Print the log digest: the number of events and the Merkle root of the log.

    Save it somewhere the ledger's operator cannot change; later, 'sla-ledger
    verify --digest SIZE:ROOT' proves that the log only grew since.

    \b
    Example:
      sla-ledger digest
    """
    ledger = store(ctx)
    head = ledger.digest()
    if as_json:
        print_json({"size": head.size, "root": head.root, "digest": str(head)})
    else:
        click.echo(str(head))


@main.command()
@click.option(
    "--digest",
    "saved",
    type=DigestType(),
    help="A digest saved earlier: the log must be an append-only extension of it.",
)
@click.option(
    "--file",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify an export (JSON Lines) instead of the store.",
)
@common_options
@click.pass_context
def verify(
    ctx: click.Context, saved: LogDigest | None, export_file: Path | None, as_json: bool
) -> None:
    """Replay the whole log and check every leaf, statement, restatement and credit.

    Each event must still hash to the leaf recorded with it; recording times
    never go backwards; every statement and credit must equal what the close
    computes again from the events before it. Exit code 3 when anything
    differs, after listing each finding with its log position.

    \b
    Example:
      sla-ledger verify
      sla-ledger verify --digest 776:9aee6865...bb65f6
      sla-ledger verify --file export.jsonl
    """
    ledger = _exported(export_file) if export_file else store(ctx, fold=False)
    total = ledger.recorder.max_notification_id() or 0
    with fmt.progress_bar("replaying the log") as advance:
        report = ledger.verify(saved, on_progress=lambda events: advance(events, total))
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise CheckFailed(f"verification failed: {len(report.findings)} finding(s)")


def _exported(path: Path) -> SlaLedger:
    ledger = open_ledger("memory://")
    with fmt.progress_bar(f"reading {path.name}") as advance:
        import_jsonl(ledger, path, on_progress=lambda lines: advance(lines, 0))
    return ledger


def _report_json(report: VerifyReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "events": report.events,
        "statements": report.statements,
        "credits": report.credits,
        "digest": str(report.digest),
        "saved": None if report.saved is None else str(report.saved),
        "findings": [
            {"kind": f.kind, "position": f.position, "message": f.message} for f in report.findings
        ],
    }


def _print_report(report: VerifyReport) -> None:
    click.echo(
        f"replayed {report.events} events: {report.statements} statement versions and "
        f"{report.credits} credits recomputed"
    )
    click.echo(f"log digest {report.digest}")
    if report.saved is not None and not any(f.kind == "digest" for f in report.findings):
        click.echo(f"the log is an append-only extension of {report.saved}")
    for finding in report.findings:
        where = "" if finding.position is None else f"position {finding.position}: "
        click.echo(f"  {finding.kind}: {where}{finding.message}")
    if report.ok:
        click.echo("verified: every event, statement and credit reproduces")


@main.command()
@click.option("--position", type=click.IntRange(min=1), help="The event's log position.")
@click.option(
    "--event", "event_ref", metavar="ID:VERSION", help="The event's stream id and version."
)
@click.option(
    "--from",
    "old_size",
    type=click.IntRange(min=0),
    help="Prove instead that the log extends its first SIZE events (a consistency proof).",
)
@click.option(
    "--size", type=click.IntRange(min=0), help="Prove against the log's first SIZE events."
)
@common_options
@click.pass_context
def prove(
    ctx: click.Context,
    position: int | None,
    event_ref: str | None,
    old_size: int | None,
    size: int | None,
    as_json: bool,
) -> None:
    """Print a Merkle proof that anyone can check with 'sla-ledger check-proof'.

    An inclusion proof shows that an event (say a probe batch a statement
    cites) is in the log of a digest; a consistency proof (--from) shows that
    the log of one digest extends that of an earlier one.

    \b
    Example:
      sla-ledger prove --position 5 --json > proof.json
      sla-ledger prove --event 0b5d3c1e-...:1
      sla-ledger prove --from 700 --json > grew.json
    """
    if sum(option is not None for option in (position, event_ref, old_size)) != 1:
        raise click.UsageError("give exactly one of --position, --event and --from")
    ledger = store(ctx)
    proof: InclusionProof | ConsistencyProof
    if old_size is not None:
        proof = ledger.prove_consistency(old_size, size)
    else:
        proof = ledger.prove(position, event=_event(event_ref), size=size)
    if as_json:
        print_json(proof.model_dump(mode="json"))
    elif isinstance(proof, InclusionProof):
        click.echo(
            f"event at position {proof.position} is leaf {proof.index} of the log "
            f"{proof.size}:{proof.root}\n{proof.line}\n"
            f"audit path: {len(proof.path)} hashes (--json prints them)"
        )
    else:
        click.echo(
            f"the log {proof.new_size}:{proof.new_root} extends "
            f"{proof.old_size}:{proof.old_root}\n"
            f"consistency path: {len(proof.path)} hashes (--json prints them)"
        )


def _event(text: str | None) -> tuple[UUID, int] | None:
    if text is None:
        return None
    stream, _, version = text.rpartition(":")
    try:
        return UUID(stream), int(version)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not ID:VERSION, e.g. 0b5d3c1e-8f5e-4a8c-9d0e-3f1a2b3c4d5e:1",
            param_hint="'--event'",
        ) from None


@main.command("check-proof")
@click.argument("proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--digest", "trusted", type=DigestType(), help="The proof must end at this digest.")
@common_options
def check_proof_command(proof_file: Path, trusted: LogDigest | None, as_json: bool) -> None:
    """Check a proof from 'sla-ledger prove --json' with the Merkle algorithm alone.

    No store is opened: this is what a customer runs on a proof they were sent,
    against a digest they saved (a statement's, or one from 'sla-ledger digest').

    \b
    Example:
      sla-ledger check-proof proof.json --digest 776:9aee6865...bb65f6
    """
    proof = _read_proof(proof_file)
    try:
        check_proof(proof, trusted)
    except InvalidProof as error:
        raise CheckFailed(str(error)) from None
    if as_json:
        print_json({"ok": True, "kind": proof.kind})
    else:
        click.echo(f"the {proof.kind} proof verifies")


def _read_proof(path: Path) -> InclusionProof | ConsistencyProof:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind == "inclusion":
            return InclusionProof.model_validate(data)
        if kind == "consistency":
            return ConsistencyProof.model_validate(data)
        raise ValueError('expected an object with "kind": "inclusion" or "consistency"')
    except (ValueError, ValidationError, RecursionError) as error:  # too deeply nested
        raise click.BadParameter(
            f"{path} is not a proof from 'sla-ledger prove --json': {error}",
            param_hint="PROOF_FILE",
        ) from None
