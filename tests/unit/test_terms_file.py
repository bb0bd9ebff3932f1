"""The terms file: TOML into services and contracts, errors naming table, key and value."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sla_ledger import InvalidTerms, UnknownReference
from sla_ledger.domain.projection import LedgerState
from sla_ledger.importers import PrometheusMapping, load_terms
from sla_ledger.importers.terms_file import plan_terms

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, tzinfo=UTC)

SERVICE = """
[[service]]
service_id = "shop"
locations = ["fra", "ams", "sin"]
probe_interval = "15s"
"""

CONTRACT = """
[[contract]]
contract_id = "acme"
customer = "ACME GmbH"
region = "eu"
starts_at = 2026-10-01T00:00:00Z
maintenance_notice = "7d"
grace = 1800

[[contract.lines]]
line_id = "storefront"
service = "shop"
monthly_fee = 2000.00
currency = "EUR"
target = "99.95"
credit_schedule = [{ below = "99.95", credit = "10" }, { below = 99.0, credit = 30 }]
"""


def terms(tmp_path: Path, text: str):
    path = tmp_path / "terms.toml"
    path.write_text(text)
    return load_terms(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(InvalidTerms) as error:
        terms(tmp_path, text)
    message = str(error.value)
    assert message.startswith(str(tmp_path / "terms.toml"))
    return message


def test_services_and_contracts_are_read_exactly(tmp_path):
    read = terms(tmp_path, SERVICE + CONTRACT)
    (service,) = read.service
    assert (service.service_id, service.probe_interval) == ("shop", timedelta(seconds=15))
    (contract,) = read.contract
    assert contract.starts_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert (contract.maintenance_notice, contract.grace) == (
        timedelta(days=7),
        timedelta(minutes=30),
    )
    (line,) = contract.lines
    assert (line.monthly_fee, line.target) == (Decimal("2000.00"), Decimal("99.95"))
    assert [(t.below, t.credit) for t in line.credit_schedule] == [
        (Decimal("99.95"), Decimal("10")),
        (Decimal("99.0"), Decimal("30")),
    ]


@pytest.mark.parametrize(
    ("written", "duration"),
    [
        ('"1h30m"', timedelta(minutes=90)),
        ('"2d"', timedelta(days=2)),
        ('"0.5s"', timedelta(milliseconds=500)),
        ('"30"', timedelta(seconds=30)),
        ("45", timedelta(seconds=45)),
        ("0.25", timedelta(milliseconds=250)),
    ],
)
def test_durations_are_seconds_or_days_hours_minutes_and_seconds(tmp_path, written, duration):
    text = SERVICE.replace('"15s"', written)
    assert terms(tmp_path, text).service[0].probe_interval == duration


def test_the_example_terms_file_reads():
    read = load_terms(ROOT / "examples" / "prometheus" / "terms.toml")
    assert [s.service_id for s in read.service] == ["shop", "api"]
    assert [line.line_id for line in read.contract[0].lines] == ["storefront", "api"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("monthly_fee = 2000.00", 'monthly_fee = "2000.001"'),
            "contract[0].lines[0]: monthly_fee 2000.001 EUR has more than 2 decimal places, "
            "the minor unit of EUR",
        ),
        (
            ("starts_at = 2026-10-01T00:00:00Z", "starts_at = 2026-10-01T00:00:00"),
            "contract[0].starts_at: Input should have timezone info",
        ),
        (
            ('customer = "ACME GmbH"', ""),
            "contract[0].customer: missing",
        ),
        (
            ('currency = "EUR"', 'currency = "EURO"'),
            "contract[0].lines[0]",
        ),
        (
            ('target = "99.95"', 'target = "101"'),
            "contract[0].lines[0].target: Input should be less than or equal to 100 (got '101')",
        ),
        (
            ("grace = 1800", 'grace = "soon"'),
            "contract[0].grace: expected decimal seconds such as '30' or '0.5', got 'soon'",
        ),
        (
            ('region = "eu"', 'regoin = "eu"'),
            "contract[0].regoin: Extra inputs are not permitted (got 'eu')",
        ),
    ],
)
def test_a_bad_contract_is_an_error_naming_the_table_index_key_and_value(tmp_path, change, message):
    old, new = change
    assert old in CONTRACT
    assert message in error_of(tmp_path, SERVICE + CONTRACT.replace(old, new))


def test_a_bad_service_is_an_error_naming_its_index(tmp_path):
    second = SERVICE.replace('"shop"', '"api"').replace('"15s"', "0")
    message = error_of(tmp_path, SERVICE + second)
    assert "service[1]: probe_interval must be positive, got 0:00:00" in message
    nested = SERVICE + 'components = [{ name = "db", instances = [{ name = "db 1", zone = "a" }] }]'
    message = error_of(tmp_path, nested)
    assert "service[0].components[0].instances[0].name: 'db 1' is not a valid name" in message
    message = error_of(tmp_path, SERVICE.replace('["fra", "ams", "sin"]', '["fra", "fra"]'))
    assert "service[0].locations: location 'fra' appears twice (got ['fra', 'fra'])" in message


def test_an_unknown_table_or_malformed_toml_is_an_error(tmp_path):
    assert "services: unknown table; a terms file has [[service]] and [[contract]]" in error_of(
        tmp_path, SERVICE.replace("[[service]]", "[[services]]")
    )
    assert "is not valid TOML" in error_of(tmp_path, "[[service]\n")


def test_planning_on_an_empty_ledger_registers_and_signs(tmp_path):
    planned = plan_terms(LedgerState(), terms(tmp_path, SERVICE + CONTRACT), "terms.toml", NOW)
    assert [(c.table, c.name, c.action) for c, _ in planned] == [
        ("service[0]", "shop", "registered"),
        ("contract[0]", "acme", "signed"),
    ]


def test_a_contract_line_naming_no_known_service_is_an_error_naming_the_line(tmp_path):
    read = terms(tmp_path, CONTRACT)
    with pytest.raises(UnknownReference) as error:
        plan_terms(LedgerState(), read, "terms.toml", NOW)
    assert str(error.value).startswith(
        "terms.toml: contract[0].lines[0].service: unknown service 'shop'"
    )


def test_a_service_or_contract_given_twice_is_an_error_naming_both_tables(tmp_path):
    with pytest.raises(InvalidTerms, match=r"service\[1\]: service 'shop' is given again"):
        plan_terms(LedgerState(), terms(tmp_path, SERVICE + SERVICE), "terms.toml", NOW)
    twice = terms(tmp_path, SERVICE + CONTRACT + CONTRACT)
    with pytest.raises(InvalidTerms, match=r"\(first in contract\[0\]\)"):
        plan_terms(LedgerState(), twice, "terms.toml", NOW)


def toml_blocks(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(), flags=re.DOTALL)


def test_the_examples_in_docs_importers_read(tmp_path):
    terms_block, support_block, mapping_block = toml_blocks(ROOT / "docs" / "importers.md")
    read = terms(tmp_path, terms_block)
    assert [c.name for c in read.service[0].components] == ["db"]
    assert read.contract[0].starts_at == datetime(2026, 9, 30, 22, tzinfo=UTC)
    with_support = terms(tmp_path, terms_block + support_block).contract[0].support
    assert with_support is not None and with_support.severities == ("sev1", "sev3")
    path = tmp_path / "mapping.toml"
    path.write_text(mapping_block)
    mapping = PrometheusMapping.load(path)
    assert [rule.target for rule in mapping.target] == ["shop", "shop/db/db-1", "api/web/api-1"]


def test_a_contract_names_its_support_tier_and_exclusion_categories_in_the_file(tmp_path):
    text = (
        SERVICE
        + CONTRACT.replace(
            "grace = 1800", 'grace = 1800\nexclusion_categories = ["customer-caused"]'
        )
        + """
[contract.support]
name = "gold"

[contract.support.business_hours]
time_zone = "Europe/Berlin"
hours = [{ days = ["mon", "tue", "wed", "thu", "fri"], opens = "09:00", closes = "17:00" }]
holidays = [2026-12-25]

[[contract.support.targets]]
severity = "sev1"
first_response = "1h"
update_interval = "4h"
first_response_credit = "5"

[[contract.support.targets]]
severity = "sev3"
first_response = "8h"
clock = "business"
"""
    )
    (contract,) = terms(tmp_path, text).contract
    tier = contract.support
    assert contract.exclusion_categories == ("customer-caused",)
    assert [(t.severity, t.first_response, t.clock) for t in tier.targets] == [
        ("sev1", timedelta(hours=1), "calendar"),
        ("sev3", timedelta(hours=8), "business"),
    ]
    assert tier.targets[0].update_interval == timedelta(hours=4)
    assert tier.business_hours.holidays[0].isoformat() == "2026-12-25"
    bad = text.replace('first_response = "8h"', 'first_response = "0s"')
    assert "contract[0].support.targets[1]" in error_of(tmp_path, bad)
