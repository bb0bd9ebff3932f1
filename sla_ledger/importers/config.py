"""Reading a TOML file into a pydantic model, with errors that name the table, key and value."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sla_ledger.exceptions import SlaLedgerError

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path, error: type[SlaLedgerError]) -> dict[str, Any]:
    """The TOML document at ``path``; its non-integer numbers as exact ``Decimal``."""
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream, parse_float=Decimal)
    except OSError as problem:
        raise error(f"cannot read {path}: {problem.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise error(f"{path} is not valid TOML: {problem}") from None


def validate(model: type[M], data: Any, source: str, error: type[SlaLedgerError]) -> M:
    """``model`` from ``data``, or ``error`` naming ``source``, each bad key and its value."""
    try:
        return model.model_validate(data)
    except ValidationError as problem:
        raise error(f"{source}: {describe(problem)}") from None


def describe(error: ValidationError, prefix: str = "") -> str:
    """``contract[0].lines[1].monthly_fee: <what is wrong> (got '10.001')``, one per problem.

    Args:
        prefix: the path of the table that was validated, such as ``contract[0]``.
    """
    parts = []
    for item in error.errors(include_url=False):
        where = key_path(item["loc"], prefix)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            parts.append(f"{where}: missing")
        elif item["loc"]:
            shown = _shown(item.get("input"))
            parts.append(f"{where}: {message}" + ("" if shown in message else f" (got {shown})"))
        else:  # a check of the whole table: its message names the values
            parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def key_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``("contract", 0, "lines", 1, "fee")`` -> ``contract[0].lines[1].fee``."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
