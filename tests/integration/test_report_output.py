"""Reports rendered: JSON with exact values as strings, Markdown, and HTML that fetches
nothing, escapes what customers wrote and works on a phone and on paper."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import ClassVar

import pytest

from sla_ledger import Contract, ContractLine, ManualClock, open_ledger
from sla_ledger.reports import (
    ContractReport,
    Portfolio,
    contract_report,
    portfolio,
    render_portfolio,
    render_report,
)
from tests.integration.scenario import APRIL, api_service, at, record_month

CUSTOMER = '<script>alert("x")</script> | *Pipe* & Co'
CLOSED = datetime(2026, 5, 2, tzinfo=UTC)


def build(url: str, close: bool = True):
    """April (UTC): api probed every 5 min from 3 locations, down 45 min on the 10th."""
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    ledger = open_ledger(url, clock=clock)
    ledger.register_service(api_service())
    line = ContractLine(
        line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR"
    )
    ledger.sign_contract(
        Contract(contract_id="acme", customer=CUSTOMER, region="eu", starts_at=APRIL, lines=(line,))
    )
    record_month(ledger, APRIL, CLOSED, down=[(at(10, 12), at(10, 12, 45))])
    clock.set(CLOSED)
    if close:
        ledger.close_due_months()
    return ledger


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> ContractReport:
    ledger = build(f"sqlite:///{tmp_path_factory.mktemp('out') / 'issued.db'}")
    yield contract_report(ledger, "acme", "2026-04")
    ledger.close()


@pytest.fixture(scope="module")
def provisional(tmp_path_factory) -> ContractReport:
    ledger = build(f"sqlite:///{tmp_path_factory.mktemp('out') / 'open.db'}", close=False)
    yield contract_report(ledger, "acme", "2026-04")
    ledger.close()


class Fetches(HTMLParser):
    """Everything in an HTML document that would make a browser fetch something."""

    FETCHING_TAGS: ClassVar = {
        "link",
        "script",
        "img",
        "iframe",
        "frame",
        "object",
        "embed",
        "source",
    }
    FETCHING_ATTRS: ClassVar = {
        "src",
        "srcset",
        "data",
        "poster",
        "background",
        "action",
        "xlink:href",
    }

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag in self.FETCHING_TAGS | {"source", "audio", "video", "track", "base", "form"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in self.FETCHING_ATTRS or (name == "href" and not value.startswith("#")):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def fetches(html: str) -> list[str]:
    parser = Fetches()
    parser.feed(html)
    css = "\n".join(parser.styles)
    return parser.found + [f"css {bad}" for bad in ("url(", "@import") if bad in css]


def test_the_json_report_is_the_documented_model_with_exact_values_as_strings(issued):
    text = render_report(issued, "json")
    data = json.loads(text)
    assert data["report_version"] == 1 and data["provisional"] is False
    (line,) = data["lines"]
    s = line["statement"]
    assert (s["availability"], s["availability_percent"], s["credit"]) == (
        "959/960",
        "99.8958",
        "100.00",
    )
    assert (s["down"], s["month_length"]) == ("2700", "2592000")
    assert line["working"]["base_exact"] == "1000" and line["working"]["tier"]["below"] == "99.9"
    assert line["days"][9]["down"] == "2700" and line["days"][9]["availability"] == "31/32"
    assert line["days"][9]["level"] == "poor"
    assert {x["state"] for x in line["timeline"]} == {"up", "down"}
    assert line["history"][0]["changed_by"] == []
    assert data["ledger_digest"]["size"] >= s["log_digest"]["size"]
    assert ContractReport.model_validate_json(text) == issued


def test_the_markdown_report_has_the_figures_and_escapes_what_customers_wrote(issued):
    text = render_report(issued, "md")
    assert "**Availability: 99.8958 %** (exactly 959/960" in text
    assert "**Target: 99.9 %: missed**" in text
    assert "**Service credit: 100.00 EUR** (10 % of 1,000.00 EUR)" in text
    assert "| 2026-04-10 | 96.8750 % | 45m | 0s | 0s |" in text
    assert "\\<script\\>" in text and "\\| \\*Pipe\\*" in text
    assert "PROVISIONAL" not in text
    assert issued.lines[0].statement.log_digest.root in text


def test_a_provisional_report_says_so_in_every_format(provisional):
    assert provisional.provisional and provisional.lines[0].status == "provisional"
    assert render_report(provisional, "md").count("**PROVISIONAL**") == 2
    html = render_report(provisional, "html")
    assert "<title>PROVISIONAL" in html and 'class="provisional"' in html
    assert json.loads(render_report(provisional, "json"))["lines"][0]["status"] == "provisional"


def test_the_html_report_fetches_nothing_and_escapes_what_customers_wrote(issued):
    html = render_report(issued, "html")
    assert fetches(html) == []
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; | *Pipe* &amp; Co" in html
    assert html.count("<svg") == 4  # three timeline lanes and the day bars


def test_the_html_report_is_made_for_phones_and_for_paper(issued):
    html = render_report(issued, "html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media (max-width: 40rem)" in html and "@media print" in html
    assert "break-before: page" in html and "print-color-adjust: exact" in html
    assert 'data-label="availability"' in html  # tables stack into cards on a phone


def test_a_portfolio_renders_in_every_format(issued, tmp_path):
    ledger = build(f"sqlite:///{tmp_path / 'p.db'}")
    found = portfolio(ledger, "2026-04")
    ledger.close()
    assert Portfolio.model_validate_json(render_portfolio(found, "json")) == found
    md = render_portfolio(found, "md")
    assert "| acme | \\<script\\>" in md and "| 99.8958 % | 99.9 % | missed | 100.00 EUR |" in md
    assert "| EUR | 1 | 100.00 EUR | 100.00 EUR |" in md
    html = render_portfolio(found, "html")
    assert fetches(html) == [] and "&lt;script&gt;" in html and "<script" not in html
