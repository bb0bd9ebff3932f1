"""The ``sla-ledger`` group and its plumbing: options, instants, errors, opening the store.

Human-readable output by default, ``--json`` for machines. Every error is one
line on stderr, ``error: ...``, with exit code 2 for bad input or usage and 1
for anything else (the store could not be opened or written).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from eventsourcing.persistence import PersistenceError

from sla_ledger import (
    SlaLedger,
    SlaLedgerError,
    StoreError,
    __version__,
    default_url,
    open_ledger,
)
from sla_ledger.arguments import shown
from sla_ledger.bootstrap import store_env
from sla_ledger.formatting import progress_bar

F = TypeVar("F", bound=Callable[..., Any])


class InstantType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3
    """An RFC 3339 instant with an offset, e.g. ``2026-04-01T00:00:00Z``; naive ones are refused."""

    name = "INSTANT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not an RFC 3339 instant such as 2026-04-01T00:00:00Z", param, ctx
            )
        if instant.tzinfo is None or instant.utcoffset() is None:
            self.fail(
                f"{value!r} has no UTC offset: add one, e.g. {value}Z or {value}+02:00", param, ctx
            )
        return instant


INSTANT = InstantType()


class _Cli(click.Group):
    """Turns every error into one line on stderr and an exit code, never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        words = sys.argv[1:] if args is None else list(args)
        if any("\x00" in word for word in words):  # no OS passes one; a caller of main() can
            refused = fail("an argument contains a NUL character (\\x00): remove it", 2)
            if standalone_mode:
                sys.exit(refused)
            return refused
        try:
            code = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            code = fail(error.format_message() + hint, error.exit_code)
        except click.ClickException as error:
            code = fail(error.format_message(), error.exit_code)
        except click.Abort:
            code = fail("aborted", 1)
        except SlaLedgerError as error:
            code = fail(str(error), 1 if isinstance(error, StoreError) else 2)
        except BrokenPipeError:  # the reader went away (`... | head`): nothing to tell it
            code = 1
        except OSError as error:  # the file system refused a path: too long, no permission ...
            code = fail(os_message(error), 1)
        except PersistenceError as error:  # the database failed mid-command: locked, gone ...
            kind = type(error).__name__
            code = fail(f"the store failed: {error} ({kind}); {ROLLED_BACK}", 1)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


ROLLED_BACK = "a transaction under way was rolled back; those committed before it stay recorded"


def os_message(error: OSError) -> str:
    """``cannot use 'PATH': REASON``, the path cut to 80 characters."""
    if error.filename is None:
        return str(error)
    return f"cannot use {shown(os.fsdecode(error.filename))}: {error.strerror}"


def fail(message: str, code: int) -> int:
    click.echo(f"error: {message}", err=True)
    return code


def common_options(command: F) -> F:
    """``--json``, and ``--url`` after the command name as well as before it."""

    def use_url(ctx: click.Context, param: click.Parameter, url: str | None) -> None:
        if url is not None:
            ctx.obj = url

    command = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(
        command
    )
    return click.option(
        "--url", expose_value=False, callback=use_url, help="The store (same as sla-ledger --url)."
    )(command)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def store(ctx: click.Context, create: bool = False, fold: bool = True) -> SlaLedger:
    """The ledger at ``--url``, its log read (unless ``fold`` is false: ``verify`` reads
    it its own way); reading commands refuse a missing SQLite file, not create it."""
    url: str = ctx.obj
    path = sqlite_path(url)
    if not create and path is not None and not path.exists():
        raise click.UsageError(
            f"no ledger at {url} ({path} does not exist): give --url or set SLA_LEDGER_URL, "
            "or build one with 'sla-ledger demo'"
        )
    ledger = open_ledger(url)
    if not fold:
        return ledger
    # Reading a large log takes seconds: show it, as every long step does.
    total = ledger.recorder.max_notification_id() or 0
    with progress_bar("reading the ledger") as advance:
        ledger.catch_up(on_progress=lambda position: advance(position, total))
    return ledger


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, None for other stores; a malformed URL is a usage error."""
    try:
        env = store_env(url)
    except StoreError as error:
        raise click.BadParameter(str(error), param_hint="'--url'") from None
    return Path(env["SQLITE_DBNAME"]) if urlsplit(url).scheme == "sqlite" else None


@click.group("sla-ledger", cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="SLA_LEDGER_URL",
    default=default_url,
    show_default="$SLA_LEDGER_URL or sqlite:///sla-ledger.db",
    help="Where the ledger is stored: sqlite:///FILE.db, memory:// or postgresql://...",
)
@click.version_option(__version__, prog_name="sla-ledger")
@click.pass_context
def main(ctx: click.Context, url: str) -> None:
    """Exact SLA statements and service credits from operational evidence.

    \b
    Example:
      sla-ledger demo
      sla-ledger statement --contract acme-eu --month 2026-03
    """
    ctx.obj = url
