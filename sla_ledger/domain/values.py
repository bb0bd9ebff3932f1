"""Field types shared by terms and events: exact, aware and JSON-friendly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)

from sla_ledger.exceptions import InvalidTerms, SlaLedgerError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
NAME_RULE = "1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit"


def check_name(value: str) -> str:
    """``value`` if it is a valid name (of a service, contract, line ...), else ValueError."""
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a valid name: expected {NAME_RULE}")
    return value


def _duration_in(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return timedelta(microseconds=int(Decimal(value) * 1_000_000))
        except (ArithmeticError, ValueError):  # not a number, NaN, infinite, too long
            raise ValueError(
                f"expected decimal seconds such as '30' or '0.5', got {value!r}"
            ) from None
    if isinstance(value, float):
        raise ValueError(f"durations must be exact: pass a timedelta, not the float {value!r}")
    return value


def _duration_out(value: timedelta) -> str:
    micros = value // timedelta(microseconds=1)
    return format(Decimal(micros).scaleb(-6).normalize(), "f") if micros else "0"


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration_in),
    PlainSerializer(_duration_out, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,6})?$", "description": "seconds"}),
]
"""A duration; in JSON a decimal string of seconds."""


def _decimal_in(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(
            f"amounts must be exact: pass a Decimal or a string, not the float {value!r}"
        )
    return value


Exact = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]
"""A decimal number (money or percent); in JSON a decimal string."""


def _fraction_in(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | str):
        return Fraction(value)
    raise ValueError(f"expected a fraction such as '959/960', got {value!r}")


ExactFraction = Annotated[
    Fraction,
    PlainValidator(_fraction_in),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(/\d+)?$"}),
]
"""An exact fraction; in JSON ``"numerator/denominator"``."""


def _utc(instant: datetime) -> datetime:
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # pydantic reports ValueError, not OverflowError
        raise ValueError(f"{instant.isoformat()} is out of range in UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An aware instant, stored in UTC (R1)."""


class ValueObject(BaseModel):
    """An immutable, validated value. Bad input raises ``error_class`` naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    error_class: ClassVar[type[SlaLedgerError]] = InvalidTerms

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise self.error_class(describe(error)) from None


def describe(error: ValidationError) -> str:
    """One readable line per problem: where, what was wrong, the value given."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join([error.title, *(str(part) for part in item["loc"])])
        message = item["msg"].removeprefix("Value error, ")
        if item["loc"]:
            message += f" (got {item.get('input')!r})"
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
