"""Commands are plain functions over the state: no store needed to test them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla_ledger import (
    Contract,
    ContractLine,
    InvalidEvidence,
    InvalidTerms,
    Service,
    UnknownReference,
)
from sla_ledger.domain import commands
from sla_ledger.domain.projection import LedgerState

NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)
API = Service(service_id="api", locations=("a", "b", "c"), probe_interval=timedelta(seconds=30))
LINE = ContractLine(line_id="core", service="api", monthly_fee=Decimal("10.00"), currency="EUR")


def contract(**changes):
    fields = {
        "contract_id": "c",
        "customer": "C",
        "region": "eu",
        "time_zone": "Europe/Berlin",
        "starts_at": datetime(2026, 4, 1, tzinfo=UTC),
        "lines": (LINE,),
    }
    return Contract(**{**fields, **changes})


def state_with(*events):
    state = LedgerState()
    for position, event in enumerate(events, start=1):
        state.apply(event, position)
    return state


def test_registering_the_same_service_twice_records_nothing_the_second_time():
    state = state_with(commands.register_service(LedgerState(), API, NOW))
    assert commands.register_service(state, API, NOW) is None
    with pytest.raises(InvalidTerms, match="already registered"):
        commands.register_service(state, API.model_copy(update={"locations": ("a",)}), NOW)


def test_a_contract_needs_its_services_and_an_amendment_applies_next_month():
    with pytest.raises(UnknownReference, match="unknown service 'api'"):
        commands.sign_contract(LedgerState(), contract(), NOW)
    state = state_with(
        commands.register_service(LedgerState(), API, NOW),
    )
    state.apply(commands.sign_contract(state, contract(), NOW), 2)
    amended = commands.amend_contract(state, contract(customer="C2"), NOW)
    assert amended.effective_month == "2026-05" and amended.originator_version == 2
    # 30 April 23:00 UTC is already May in Berlin: the amendment applies from June.
    late = commands.amend_contract(state, contract(), datetime(2026, 4, 30, 23, tzinfo=UTC))
    assert late.effective_month == "2026-06"
    with pytest.raises(InvalidTerms, match="time_zone"):
        commands.amend_contract(state, contract(time_zone="UTC"), NOW)


def test_termination_respects_the_notice_period():
    state = state_with(commands.register_service(LedgerState(), API, NOW))
    state.apply(commands.sign_contract(state, contract(), NOW), 2)
    soon = commands.notice_termination(state, "c", NOW + timedelta(days=1), NOW)
    assert soon.ends_at == NOW + timedelta(days=30)
    later = commands.notice_termination(state, "c", NOW + timedelta(days=90), NOW)
    assert later.ends_at == NOW + timedelta(days=90)


def test_evidence_commands_refuse_bad_windows_and_names():
    state = state_with(commands.register_service(LedgerState(), API, NOW))
    with pytest.raises(InvalidEvidence, match="non-empty list"):
        commands.declare_incident(state, "api", NOW, None, "outage", NOW)
    with pytest.raises(InvalidEvidence, match="non-empty text"):
        commands.declare_incident(state, ["api"], NOW, None, " ", NOW)
    with pytest.raises(InvalidEvidence, match="end must be after start"):
        commands.announce_maintenance(state, ["api"], NOW, NOW - timedelta(hours=1), "", NOW)
    with pytest.raises(UnknownReference, match="no recorded probe"):
        commands.invalidate_probes(state, ["api@a@2026-04-01T00:00:00Z#up"], "broken", NOW)
    with pytest.raises(InvalidEvidence, match="invalid probe id"):
        commands.invalidate_probes(state, ["api-a-2026"], "broken", NOW)
