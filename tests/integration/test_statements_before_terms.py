"""Statements recorded before they named their terms (sla-ledger 0.1.0) still read, hash
and verify as they were recorded; only a change of their figures is a finding."""

from __future__ import annotations

from decimal import Decimal

from sla_ledger.adapters.jsonl import interchange_line
from sla_ledger.domain import events as ev
from sla_ledger.domain.closing import close_due
from sla_ledger.domain.time import to_us
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    record_month,
)
from tests.integration.support_month import CLOSE


def legacy(event: ev.DomainEvent, **changes: object) -> ev.DomainEvent:
    """The event as sla-ledger 0.1.0 recorded it: its statement without ``terms``."""
    if isinstance(event, ev.StatementIssued):
        return event.model_copy(
            update={"statement": event.statement.model_copy(update={"terms": None, **changes})}
        )
    return event


def closed_as_before(url: str, **changes: object):
    ledger, clock = new_ledger(url)
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
    clock.set(CLOSE)
    decisions = close_due(ledger.catch_up(), to_us(CLOSE))
    events = [legacy(e, **changes) for d in decisions for e in d.events]
    ledger._save(*events)  # what an older close recorded
    return ledger, events


def test_a_statement_without_terms_keeps_its_recorded_bytes():
    _, events = closed_as_before("memory://")
    line = interchange_line(events[0])
    assert '"statement":{"contract_id":"acme"' in line and '"terms"' not in line
    assert '"exclusions"' not in line


def test_a_statement_without_terms_verifies(tmp_path):
    ledger, _ = closed_as_before(f"sqlite:///{tmp_path / 'old.db'}")
    report = ledger.verify()
    assert report.ok, report.findings
    assert report.statements == 1 and ledger.statement_for("acme", "core", "2026-04").terms is None


def test_a_statement_without_terms_and_with_other_figures_is_a_finding(tmp_path):
    ledger, _ = closed_as_before(f"sqlite:///{tmp_path / 'forged.db'}", credit=Decimal("1000.00"))
    [finding] = ledger.verify().findings
    assert "credit recorded '1000.00', replayed '100.00'" in finding.message
