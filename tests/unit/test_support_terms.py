"""Support tiers, exclusion categories and the terms hash as data."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla_ledger import (
    BusinessHours,
    Contract,
    ContractLine,
    InvalidTerms,
    OpeningHours,
    ResponseTarget,
    SupportTier,
    canonical_json,
    terms_hash,
)
from sla_ledger.domain.time import to_us

LINE = ContractLine(line_id="core", service="api", monthly_fee=Decimal("1000.00"), currency="EUR")
HOURS = BusinessHours(
    time_zone="Europe/Berlin",
    hours=(OpeningHours(days=("mon", "tue", "wed", "thu", "fri"), opens="09:00", closes="17:00"),),
)
SEV1 = ResponseTarget(severity="sev1", first_response=timedelta(hours=1))


def contract(**changes):
    fields = {
        "contract_id": "c",
        "customer": "C",
        "region": "eu",
        "starts_at": datetime(2026, 4, 1, tzinfo=UTC),
        "lines": (LINE,),
    }
    return Contract(**{**fields, **changes})


def test_a_tier_counting_business_time_needs_business_hours():
    business = SEV1.model_copy(update={"clock": "business"})
    with pytest.raises(InvalidTerms, match="counts business time, but tier 'gold' has no"):
        SupportTier(name="gold", targets=(business,))
    tier = SupportTier(name="gold", targets=(business,), business_hours=HOURS)
    friday_4pm = to_us(datetime(2026, 4, 10, 14, tzinfo=UTC))
    assert tier.due(business, friday_4pm, 2 * 3_600_000_000) == to_us(
        datetime(2026, 4, 13, 8, tzinfo=UTC)
    )
    assert tier.due(SEV1, friday_4pm, 7) == friday_4pm + 7


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_response": timedelta(0)}, "first_response must be positive"),
        ({"update_interval": timedelta(seconds=59)}, "update_interval must be at least one"),
        ({"first_response_credit": Decimal("100.5")}, "first_response_credit"),
        ({"update_credit": Decimal("-1")}, "update_credit"),
        ({"severity": "sev 1"}, "'sev 1' is not a valid name"),
        ({"clock": "lunar"}, "clock"),
    ],
)
def test_malformed_response_targets_are_refused_naming_the_value(fields, message):
    with pytest.raises(InvalidTerms, match=message):
        ResponseTarget(**{"severity": "sev1", "first_response": timedelta(hours=1), **fields})


def test_a_tier_names_each_severity_once():
    with pytest.raises(InvalidTerms, match="name a severity twice"):
        SupportTier(name="gold", targets=(SEV1, SEV1))
    with pytest.raises(InvalidTerms, match="targets"):
        SupportTier(name="gold", targets=())


def test_exclusion_categories_are_names_given_once_and_never_maintenance():
    assert contract(exclusion_categories=("customer-caused",)).exclusion_categories
    with pytest.raises(InvalidTerms, match="'maintenance' is not an exclusion category"):
        contract(exclusion_categories=("maintenance",))
    with pytest.raises(InvalidTerms, match="exclusion category 'x' appears twice"):
        contract(exclusion_categories=("x", "x"))


def test_a_contract_without_the_additions_serialises_as_before():
    dumped = contract().model_dump(mode="json")
    assert "support" not in dumped and "exclusion_categories" not in dumped
    tier = SupportTier(name="gold", targets=(SEV1,))
    full = contract(support=tier, exclusion_categories=("force-majeure",))
    assert Contract.model_validate_json(full.model_dump_json()) == full


def test_the_terms_hash_is_sha256_of_sorted_compact_utf8_json_anyone_can_recompute():
    terms = contract(customer="Café Müller", support=SupportTier(name="gold", targets=(SEV1,)))
    line = json.loads(json.dumps({"contract": terms.model_dump(mode="json")}))  # as exported
    text = json.dumps(line["contract"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(terms) == text.encode("utf-8")
    assert terms_hash(terms) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert '"customer":"Café Müller"' in text and " " not in text.replace("Café Müller", "")


def test_any_change_of_the_terms_changes_the_hash():
    base = contract()
    assert terms_hash(base) == terms_hash(contract())
    assert terms_hash(base) != terms_hash(contract(min_downtime=timedelta(seconds=61)))
    assert terms_hash(base) != terms_hash(contract(exclusion_categories=("customer-caused",)))
