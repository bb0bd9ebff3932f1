"""docs/support.md's worked examples, number for number, through the public API.

The tier and business hours are the ones the page defines (its Python block is
run here); the tables' rows are read from the page and compared with what the
ledger computes, so the page cannot drift from the code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sla_ledger import ContractLine
from sla_ledger.domain.time import from_us, to_us
from tests.integration.scenario import APRIL, MAY, api_service, contract, new_ledger, record_month

DOC = (Path(__file__).resolve().parents[2] / "docs" / "support.md").read_text()
H = 3_600_000_000


def defined() -> dict[str, object]:
    (block,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    names: dict[str, object] = {}
    exec(block, names)
    return names


TERMS = defined()
OFFICE, GOLD = TERMS["OFFICE"], TERMS["GOLD"]


def utc(day: int, hour: int, month: int = 4, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def table_rows(heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, cells stripped."""
    section = DOC[DOC.index(heading) :]
    table = section[section.index("\n|") + 1 :].split("\n\n", 1)[0].splitlines()
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in table[2:]]


def test_calendar_and_business_deadlines_across_the_dst_weekend_and_the_holidays():
    rows = table_rows("### Worked example: calendar and business time")
    assert len(rows) == 2
    for (opened, target, calendar, business), start, hours in zip(
        rows, [utc(27, 15, 3), utc(2, 13)], [4, 8], strict=True
    ):
        assert f"({start:%H:%M}Z)" in opened and target == f"{hours} h"
        assert calendar.endswith(f"({start + timedelta(hours=hours):%H:%M}Z)")
        due = from_us(OFFICE.add(to_us(start), hours * H))
        assert business.endswith(f"({due:%H:%M}Z)") and f" {due.day} " in business
    assert OFFICE.add(to_us(utc(27, 15, 3)), 4 * H) - to_us(utc(27, 15, 3)) == 67 * H


def test_a_sev1_case_misses_three_updates_as_the_table_says():
    ledger, clock = new_ledger("memory://")
    ledger.register_service(api_service())
    ledger.sign_contract(contract(support=GOLD))
    clock.set(utc(14, 8))
    case = ledger.open_case("acme", "sev1")
    for at, step in [(utc(14, 9), ledger.respond), (utc(14, 22), ledger.update_case)]:
        clock.set(at)
        step(case)
    clock.set(utc(14, 23))
    ledger.resolve_case(case)
    r = ledger.compute_response_statement("acme", "2026-04")
    shown = [
        (
            t.kind,
            f"{t.due:%H:%M}",
            f"{t.answered_at:%H:%M}",
            t.status,
            "" if t.late_by is None else f"{t.late_by // timedelta(hours=1)}h",
            f"{t.credit_percent} %" if t.credit_percent else "",
        )
        for t in r.targets
    ]
    documented = [
        (kind, due[:5], answered[:5], status, late, credit)
        for kind, due, answered, status, late, credit in table_rows(
            "### Worked example: a sev1 case's targets"
        )
    ]
    assert shown == documented
    assert r.response_credit_percent == 3 and "Three missed updates" in DOC


def test_a_combined_cap_is_rounded_once(tmp_path):
    ledger, clock = new_ledger(f"sqlite:///{tmp_path / 'cap.db'}")
    ledger.register_service(api_service())
    line = ContractLine(
        line_id="core",
        service="api",
        monthly_fee=Decimal("333.34"),
        currency="EUR",
        max_credit=Decimal("30"),
    )
    signed = contract(support=GOLD)
    ledger.sign_contract(signed.model_copy(update={"lines": (line,)}))
    record_month(ledger, APRIL, MAY + timedelta(hours=1))
    ledger.declare_incident(["api"], utc(10, 8), utc(10, 18, minute=48), "outage")
    for day in (20, 21):  # never answered: two missed sev1 first responses
        ledger.open_case("acme", "sev1", opened_at=utc(day, 12))
    clock.set(MAY + timedelta(hours=2))
    ledger.close_due_months()
    availability = ledger.statement_for("acme", "core", "2026-04")
    [credit] = ledger.response_statement_for("acme", "2026-04").lines
    assert availability.availability_percent == "98.5000"
    rows = {row[0]: row for row in table_rows("### Worked example: a combined cap")}
    assert rows["availability (R10)"][1:] == ["25 %", "83.335", "83.34 EUR"]
    assert (availability.credit_percent, availability.credit) == (25, Decimal("83.34"))
    assert rows["combined"][3] == f"{credit.combined_credit} EUR"
    assert (credit.combined_percent, credit.response_percent) == (30, 10)
    assert rows["response"][3] == f"100.00 - 83.34 = {credit.response_credit} EUR"
    assert [(c.kind, c.amount) for c in ledger.credits()] == [
        ("CreditIssued", Decimal("83.34")),
        ("ResponseCreditIssued", Decimal("16.66")),
    ]
