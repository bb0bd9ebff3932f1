"""Exclusions besides maintenance: applied only where the contract allows their category,
listed either way, counted once beside maintenance, after the blip filter (docs/rules.md)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from sla_ledger import Contract, ContractLine
from sla_ledger.domain import events as ev
from sla_ledger.domain.exclusions import apply_exclusions
from sla_ledger.domain.support_state import Exclusion
from sla_ledger.domain.time import to_us

H = 3_600_000_000
START = datetime(2026, 4, 1, tzinfo=UTC)
MONTH = (to_us(START), to_us(START) + 720 * H)
TERMS = Contract(
    contract_id="c",
    customer="C",
    region="eu",
    starts_at=START,
    lines=(ContractLine(line_id="core", service="api", monthly_fee=Decimal(10), currency="EUR"),),
    exclusion_categories=("customer-caused",),
)


def exclusion(hours, category="customer-caused", recorded=1, withdrawn=None, **fields):
    start = START + timedelta(hours=hours[0])
    end = START + timedelta(hours=hours[1])
    event = ev.ExclusionRecorded(
        originator_id=uuid4(),
        originator_version=1,
        recorded_at=START + timedelta(hours=recorded),
        category=category,
        services=fields.pop("services", ("api",)),
        start=start,
        end=end,
        reason="why",
        decided_by="who",
        **fields,
    )
    return Exclusion(event, to_us(event.recorded_at), to_us(start), to_us(end), withdrawn)


def apply(exclusions, maintenance=(), known_at=2**62, contract_id="c"):
    excluded, notes = apply_exclusions(
        exclusions, contract_id, TERMS, "api", [MONTH], list(maintenance), known_at
    )
    rows = [(n.category, n.status, n.excluded // timedelta(hours=1)) for n in notes]
    return [((a - MONTH[0]) / H, (b - MONTH[0]) / H) for a, b in excluded], rows


def test_an_allowed_category_is_excluded_and_another_is_listed_but_not_applied():
    excluded, notes = apply([exclusion((10, 12)), exclusion((20, 21), "force-majeure")])
    assert excluded == [(10, 12)]
    assert notes == [("customer-caused", "applied", 2), ("force-majeure", "not allowed", 0)]


def test_time_maintenance_already_excludes_is_excluded_once_as_maintenance():
    maintenance = [(MONTH[0] + 9 * H, MONTH[0] + 11 * H)]
    excluded, notes = apply([exclusion((10, 12)), exclusion((11, 13))], maintenance)
    assert excluded == [(9, 13)]
    assert notes == [("customer-caused", "applied", 1), ("customer-caused", "applied", 1)]


def test_a_withdrawn_exclusion_is_listed_and_excludes_nothing_once_withdrawn_is_known():
    withdrawn = exclusion((10, 12), withdrawn=MONTH[0] + 50 * H)
    assert apply([withdrawn])[1] == [("customer-caused", "withdrawn", 0)]
    assert apply([withdrawn], known_at=MONTH[0] + 49 * H) == (
        [(10, 12)],
        [("customer-caused", "applied", 2)],
    )
    assert apply([exclusion((10, 12), recorded=30)], known_at=MONTH[0] + 29 * H) == ([], [])


def test_an_exclusion_for_another_contract_or_service_is_not_this_statements():
    assert apply([exclusion((10, 12), contract_id="other")]) == ([], [])
    assert apply([exclusion((10, 12), services=("web",))]) == ([], [])
    assert apply([exclusion((10, 12), contract_id="c")])[0] == [(10, 12)]


def test_only_the_active_part_of_the_month_is_excluded():
    excluded, _ = apply([exclusion((-5, 3)), exclusion((719, 725))])
    assert excluded == [(0, 3), (719, 720)]
    assert apply([exclusion((-5, -1))]) == ([], [])
