"""Support cases, exclusions and response statements in every export: the JSON Lines
round trip, a customer's share, and CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal

import pytest

from sla_ledger import ManualClock, open_ledger
from sla_ledger.adapters.csv_export import RESPONSE_COLUMNS, export_csv, response_row
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from tests.integration.scenario import at, contract
from tests.integration.support_month import CLOSE, GOLD, build

SECRET = "Globex's own outage"


def exported(ledger, **scope) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out, **scope)
    return out.getvalue()


@pytest.fixture(scope="module")
def two_customers():
    """ACME's month of support_month, and Globex on the same service with a case of its own
    and an exclusion decided for its contract alone."""
    ledger, clock, _ = build("memory://", close=False)
    ledger.sign_contract(
        contract("globex", support=GOLD, exclusion_categories=("customer-caused",))
    )
    ledger.open_case("globex", "sev1", opened_at=at(25, 10), subject=SECRET)
    ledger.exclude(
        "customer-caused", ["api"], at(10, 12), at(10, 12, 45), SECRET, "ops", contract_id="globex"
    )
    clock.set(CLOSE)
    ledger.close_due_months()
    return ledger, clock


def test_the_scenario_has_both_customers_response_statements(two_customers):
    ledger, _ = two_customers
    acme, globex = (ledger.response_statement_for(c, "2026-04") for c in ("acme", "globex"))
    assert (acme.missed, globex.missed) == (1, 1)
    assert ledger.statement_for("globex", "core", "2026-04").exclusions[0].status == "applied"
    assert ledger.statement_for("acme", "core", "2026-04").exclusions == ()


def test_an_export_imported_into_an_empty_store_reproduces_the_response_statements(
    two_customers, tmp_path
):
    a, _ = two_customers
    text = exported(a)
    b = open_ledger(f"sqlite:///{tmp_path / 'b.db'}")
    import_jsonl(b, io.StringIO(text))
    assert b.response_statements() == a.response_statements()
    assert b.credits() == a.credits()
    assert exported(b) == text
    assert b.verify().ok


def test_a_customers_share_holds_their_cases_and_exclusions_and_nothing_of_the_other(
    two_customers,
):
    a, clock = two_customers
    share = exported(a, customer="ACME")
    assert SECRET not in share and "globex" not in share
    assert share.count('"type":"SupportCaseOpened"') == 2
    c = open_ledger("memory://", clock=ManualClock(clock.now()))
    import_jsonl(c, io.StringIO(share))
    issued = a.response_statement_for("acme", "2026-04")
    assert c.response_statements() == [issued]
    again = c.compute_response_statement("acme", "2026-04", as_known_at=issued.known_at)
    assert again.figures() == issued.figures()


def test_responses_csv_has_a_row_per_response_statement_version_and_line(two_customers, tmp_path):
    ledger, _ = two_customers
    report = export_csv(ledger, tmp_path)
    with (tmp_path / "responses.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == RESPONSE_COLUMNS
    expected = [response_row(r, line) for r in ledger.response_statements() for line in r.lines]
    assert rows[1:] == expected and report.responses == 2
    acme = dict(zip(RESPONSE_COLUMNS, rows[1], strict=True))
    assert (acme["met"], acme["missed"], acme["response_credit"], acme["terms_version"]) == (
        "3",
        "1",
        "20.00",
        "1",
    )
    with (tmp_path / "credits.csv").open(newline="", encoding="utf-8") as stream:
        kinds = [(r["kind"], Decimal(r["amount"])) for r in csv.DictReader(stream)]
    assert ("ResponseCreditIssued", Decimal("20.00")) in kinds


def test_the_terms_hash_on_a_statement_is_recomputed_from_the_exported_contract_line(
    two_customers,
):
    ledger, _ = two_customers
    recomputed = {}
    for text in exported(ledger).splitlines():  # as docs/rules.md, "Terms as data", does
        line = json.loads(text)
        if line["type"] in ("ContractSigned", "ContractAmended"):
            terms = line["contract"]
            canonical = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            recomputed[(terms["contract_id"], line["originator_version"])] = digest
    for s in ledger.statements():
        assert recomputed[(s.contract_id, s.terms.version)] == s.terms.sha256
    for r in ledger.response_statements():
        assert recomputed[(r.contract_id, r.terms.version)] == r.terms.sha256
