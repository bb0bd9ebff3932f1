"""Rendering reports with Jinja2 templates shipped in ``sla_ledger/reports/templates``.

HTML is one self-contained file (inline CSS and SVG, system fonts, no scripts,
nothing fetched); HTML templates are autoescaped. Markdown escapes its table
cells with the ``md`` filter. JSON is the pydantic model dumped as it is.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from sla_ledger import __version__
from sla_ledger import formatting as fmt
from sla_ledger.domain.money import minor_unit
from sla_ledger.domain.time import parse_month
from sla_ledger.reports.model import ContractReport, Portfolio
from sla_ledger.reports.pictures import WIDTH, picture

Format = Literal["html", "md", "json"]
FORMATS: tuple[Format, ...] = ("html", "md", "json")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
STATE_NAMES = {
    "up": "up",
    "down": "down",
    "unknown": "unknown",
    "excluded": "maintenance, excluded",
    "inactive": "not measured",
}
"""A timeline state as people read it."""
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("sla_ledger.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        duration=fmt.duration,
        money=_money,
        pct=fmt.percent,
        local=fmt.local,
        utc=fmt.utc,
        fraction=_fraction,
        exact=_exact,
        md=_md,
        month_name=_month_name,
        state_name=STATE_NAMES.__getitem__,
    )
    env.globals.update(version=__version__, width=WIDTH)
    return env


def render_report(report: ContractReport, format: Format) -> str:
    """The report as one HTML file, Markdown, or JSON."""
    if format == "json":
        return _json(report)
    zone = report.time_zone

    def label(start: datetime, end: datetime) -> str:
        return f"{fmt.local(start, zone)} to {fmt.local(end, zone)} ({fmt.duration(end - start)})"

    lines = [(line, picture(line, label, STATE_NAMES)) for line in report.lines]
    template = _env().get_template(f"report.{format}.j2")
    return template.render(report=report, lines=lines)


def render_portfolio(portfolio: Portfolio, format: Format) -> str:
    """The portfolio as one HTML file, Markdown, or JSON."""
    if format == "json":
        return _json(portfolio)
    return _env().get_template(f"portfolio.{format}.j2").render(portfolio=portfolio)


def _json(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _money(amount: Decimal, currency: str) -> str:
    """``1,000.00 EUR``: always in the currency's minor unit, so zero reads ``0.00 EUR``."""
    return fmt.money(amount.quantize(Decimal(1).scaleb(-minor_unit(currency))), currency)


def _fraction(value: Fraction) -> str:
    return str(value)


def _exact(value: Fraction, currency: str) -> str:
    """An exact amount in full when its decimals end soon, else cut with the fraction."""
    unit = minor_unit(currency)
    digits = unit + 4
    scaled = value * 10**digits
    amount = Decimal(scaled.numerator // scaled.denominator).scaleb(-digits)
    if scaled.denominator != 1:
        return f"{amount:,f}… {currency} (exactly {value})"
    amount = amount.normalize()
    if -int(amount.as_tuple().exponent) < unit:
        amount = amount.quantize(Decimal(1).scaleb(-unit))
    return f"{amount:,f} {currency}"


def _md(value: object) -> str:
    """Text safe in a Markdown table cell: special characters escaped, no line breaks."""
    text = str(value).replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _month_name(month: str) -> str:
    year, number = parse_month(month)
    return f"{_MONTHS[number - 1]} {year}"
