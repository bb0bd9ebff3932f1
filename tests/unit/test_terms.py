from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    CreditTier,
    Instance,
    InvalidTerms,
    Service,
)


def line(**changes):
    fields = {
        "line_id": "core",
        "service": "api",
        "monthly_fee": Decimal("1000.00"),
        "currency": "EUR",
    }
    return ContractLine(**{**fields, **changes})


def test_defaults_follow_the_spec():
    service = Service(
        service_id="api", locations=("a", "b", "c"), probe_interval=timedelta(seconds=30)
    )
    assert service.effective_staleness == timedelta(seconds=90)
    assert service.effective_quorum == 2
    assert [t.credit for t in line().credit_schedule] == [10, 25, 100]


def test_credit_tiers_that_are_not_monotonic_are_refused():
    with pytest.raises(InvalidTerms, match="not monotonic"):
        line(
            credit_schedule=(
                CreditTier(below=Decimal(99), credit=Decimal(50)),
                CreditTier(below=Decimal(95), credit=Decimal(10)),
            )
        )


def test_negative_or_unknown_currency_fees_are_refused():
    with pytest.raises(InvalidTerms, match="-5"):
        line(monthly_fee=Decimal("-5"))
    with pytest.raises(InvalidTerms, match="'EURO'"):
        line(currency="EURO")


def test_floats_never_become_money():
    with pytest.raises(InvalidTerms, match="float"):
        line(monthly_fee=1000.0)


def test_a_service_must_be_measurable():
    with pytest.raises(InvalidTerms, match="neither a probed endpoint nor a critical component"):
        Service(
            service_id="x", locations=("a",), probe_interval=timedelta(seconds=30), endpoint=False
        )
    with pytest.raises(InvalidTerms, match="min_healthy 3 exceeds"):
        Component(name="db", instances=(Instance(name="a", zone="z1"),), min_healthy=3)


def test_contracts_need_an_aware_start_and_a_real_zone():
    with pytest.raises(InvalidTerms, match="starts_at"):
        Contract(
            contract_id="c",
            customer="C",
            region="eu",
            starts_at=datetime(2026, 4, 1),
            lines=(line(),),
        )
    with pytest.raises(InvalidTerms, match="Nowhere/Land"):
        Contract(
            contract_id="c",
            customer="C",
            region="eu",
            time_zone="Nowhere/Land",
            starts_at=datetime(2026, 4, 1, tzinfo=UTC),
            lines=(line(),),
        )


def test_durations_serialise_as_decimal_seconds():
    service = Service(
        service_id="api", locations=("a",), probe_interval=timedelta(seconds=30, microseconds=5)
    )
    assert service.model_dump(mode="json")["probe_interval"] == "30.000005"
    assert Service.model_validate_json(service.model_dump_json()) == service
