"""Fuzzing terms: services and contracts built from hostile fields, then registered,
signed, amended and given notice; and the ledger's region bound and transferred."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    CreditTier,
    Instance,
    InvalidTerms,
    Service,
)
from sla_ledger.domain.time import to_us
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import (
    EDGE_DECIMALS,
    attempt,
    aware_instants,
    check_message,
    durations,
    either,
    hostile,
    nasty_text,
)
from tests.reliability.fuzz.world import APRIL, CONTRACT, Template
from tests.reliability.profile import sized

NAMES = st.sampled_from(["web", "api", "new", "new-svc", "c1", "c2", "core", "db", "eu", "us"])


def built(cls: type, fields: dict[str, Any]) -> Any:
    """``cls(**fields)``, or None when it refuses them cleanly (``InvalidTerms``)."""
    counter.count()
    try:
        return cls(**fields)
    except InvalidTerms as error:
        check_message(error)
        return None


@st.composite
def service_fields(draw) -> dict[str, Any]:
    locations = either(st.lists(st.sampled_from(["fra", "ams", "lon"]), min_size=1).map(tuple))
    instance = st.builds(
        lambda n, z: {"name": n, "zone": z}, either(st.sampled_from(["i0", "i1"])), either(NAMES)
    )
    component = st.builds(
        lambda n, i, m, c: {"name": n, "instances": i, "min_healthy": m, "critical": c},
        either(st.just("db")),
        either(st.lists(instance, min_size=1, max_size=3)),
        either(st.integers(0, 3)),
        either(st.booleans()),
    )
    fields = {
        "service_id": draw(either(NAMES)),
        "locations": draw(locations),
        "probe_interval": draw(either(st.sampled_from([timedelta(seconds=30), "60", "0.5"]))),
    }
    optional = {
        "staleness": either(st.one_of(st.none(), durations(), st.just("120"))),
        "quorum": either(st.one_of(st.none(), st.integers(0, 4))),
        "endpoint": either(st.booleans()),
        "components": either(st.lists(component, max_size=2)),
        "region": either(st.one_of(st.none(), NAMES)),
        "nonsense": hostile(),
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        fields[name] = draw(optional[name])
    return fields


@settings(max_examples=sized(25, 500))
@given(fields=service_fields())
def test_a_service_is_registered_as_given_or_refused(world: Template, fields) -> None:
    service = built(Service, fields)
    if service is None:
        return
    with world.copy() as (ledger, _):
        if attempt(ledger, ledger.register_service, service).accepted:
            assert service in ledger.services()


def money() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(["1000.00", "0", "-1", "0.001", "1e3", "NaN", "Infinity", " 5 "]),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.sampled_from(EDGE_DECIMALS),
    )


@st.composite
def line_fields(draw) -> dict[str, Any]:
    tier = st.builds(lambda b, c: {"below": b, "credit": c}, either(money()), either(money()))
    fields = {
        "line_id": draw(either(st.sampled_from(["core", "db", "extra"]))),
        "service": draw(either(st.sampled_from(["web", "api", "nope"]))),
        "monthly_fee": draw(either(money())),
        "currency": draw(either(st.sampled_from(["EUR", "JPY", "KWD", "eur", "XXX", ""]))),
    }
    optional = {
        "target": either(money()),
        "credit_schedule": either(st.lists(tier, max_size=3)),
        "max_credit": either(money()),
        "minimum_credit": either(money()),
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        fields[name] = draw(optional[name])
    return fields


@st.composite
def contract_fields(draw) -> dict[str, Any]:
    fields = {
        "contract_id": draw(either(st.sampled_from(["c1", "c2"]))),
        "customer": draw(either(st.sampled_from(["Initech", "Globex"]))),
        "region": draw(either(st.sampled_from(["eu", "us"]))),
        "starts_at": draw(either(st.sampled_from([APRIL, datetime(2026, 6, 1, tzinfo=UTC)]))),
        "lines": draw(either(st.lists(line_fields(), min_size=1, max_size=2))),
    }
    optional = {
        "time_zone": either(st.sampled_from(["UTC", "Europe/Berlin", "Mars/Base", "../etc"])),
        "maintenance_notice": either(durations()),
        "maintenance_cap": either(durations()),
        "min_downtime": either(durations()),
        "grace": either(durations()),
        "notice_period": either(durations()),
        "unknown_counts_as": either(st.sampled_from(["available", "unavailable"])),
        "clawback": either(st.booleans()),
        "exclusion_categories": either(st.lists(nasty_text(), max_size=2)),
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        fields[name] = draw(optional[name])
    return fields


@settings(max_examples=sized(25, 500))
@given(fields=contract_fields(), how=st.sampled_from(["sign", "amend"]))
def test_a_contract_is_signed_or_amended_as_given_or_refused(world: Template, fields, how) -> None:
    contract = built(Contract, fields)
    if contract is None:
        return
    with world.copy() as (ledger, _):
        if how == "sign":
            if not attempt(ledger, ledger.sign_contract, contract).accepted:
                return
            assert contract in ledger.contracts()
        elif attempt(ledger, ledger.amend_contract, contract).accepted:
            history = ledger.catch_up().contracts[contract.contract_id]
            assert history.amendments[-1][2] == contract
        else:
            return
        # Terms that were accepted must be measurable: figures, a close, a notice.
        line_id = contract.lines[0].line_id
        attempt(ledger, ledger.compute_statement, contract.contract_id, line_id, "2026-05")
        attempt(ledger, ledger.close_due_months)
        attempt(ledger, ledger.notice_termination, contract.contract_id)
        attempt(ledger, ledger.explain, contract.contract_id, line_id, "2026-04")


@settings(max_examples=sized(20, 500))
@given(parts=st.sampled_from([CreditTier, Instance, Component, ContractLine]), fields=hostile())
def test_terms_built_from_anything_are_refused_with_invalid_terms(parts, fields) -> None:
    counter.count()
    try:
        parts(**fields) if isinstance(fields, dict) else parts(fields)
    except InvalidTerms as error:
        check_message(error)
    except TypeError:  # positional arguments: Python's own call check, before ours
        assert not isinstance(fields, dict)


@settings(max_examples=sized(25, 500))
@given(
    contract_id=either(st.sampled_from(["c1", "c2"])),
    ends_at=either(st.one_of(st.none(), aware_instants())),
)
def test_notice_of_termination_is_recorded_as_given_or_refused(
    world: Template, contract_id, ends_at
) -> None:
    counter.count()
    with world.copy() as (ledger, clock):
        outcome = attempt(ledger, ledger.notice_termination, contract_id, ends_at)
        if outcome.accepted:
            earliest = clock.now() + CONTRACT.notice_period
            assert outcome.value == max(earliest, ends_at or earliest)
            recorded = ledger.catch_up().contracts[contract_id].termination
            assert recorded is not None and recorded[1] == to_us(outcome.value)


@settings(max_examples=sized(30, 600))
@given(
    region=either(st.sampled_from(["eu", "us"])),
    to=either(st.sampled_from(["us", "eu"])),
    agreement=either(st.just("MSA §9")),
    by=either(st.just("legal")),
    customer=either(st.sampled_from([None, "Initech", "Globex"])),
)
def test_binding_and_transfers_are_recorded_as_given_or_refused(
    world: Template, region, to, agreement, by, customer
) -> None:
    counter.count()
    with world.copy() as (ledger, _):
        if attempt(ledger, ledger.bind_region, region).accepted:
            assert ledger.region == region
        outcome = attempt(ledger, ledger.authorise_transfer, to, agreement, by, customer)
        if outcome.accepted:
            transfer = ledger.transfers()[-1]
            assert (transfer.to_region, transfer.agreement, transfer.customer) == (
                to,
                agreement,
                customer,
            )


def test_a_decimal_that_is_not_a_number_is_no_fee() -> None:
    for text in ("NaN", "sNaN", "Infinity"):
        assert (
            built(
                ContractLine,
                {"line_id": "x", "service": "web", "monthly_fee": Decimal(text), "currency": "EUR"},
            )
            is None
        )
