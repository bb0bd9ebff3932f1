"""docs/reports.md describes every field of the report and portfolio JSON."""

import re
from pathlib import Path

import pytest

from sla_ledger.reports import model

DOC = Path(__file__).resolve().parent.parent / "docs" / "reports.md"
MODELS = [
    model.ContractReport,
    model.LineReport,
    model.Span,
    model.WindowSpan,
    model.DayFigures,
    model.CreditWorking,
    model.Version,
    model.CreditRecord,
    model.Portfolio,
    model.PortfolioRow,
    model.CurrencyTotal,
]


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_the_reports_doc_names_every_field_of_the_json(cls):
    text = DOC.read_text()
    assert f"`{cls.__name__}`" in text
    section = text[text.index(f"`{cls.__name__}`") :]
    named = set(re.findall(r"`([a-z_]+)`", section[:2000]))
    assert set(cls.model_fields) <= named, set(cls.model_fields) - named
