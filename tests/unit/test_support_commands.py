"""Support cases and exclusions: commands over the state, refusals naming the value."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from sla_ledger import (
    Contract,
    ContractLine,
    InvalidEvidence,
    InvalidTerms,
    ResponseTarget,
    Service,
    SupportTier,
    UnknownReference,
)
from sla_ledger.domain import commands
from sla_ledger.domain import support_commands as support
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.time import to_us

NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)
API = Service(service_id="api", locations=("a",), probe_interval=timedelta(seconds=30))
WEB = Service(service_id="web", locations=("a",), probe_interval=timedelta(seconds=30))
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(severity="sev1", first_response=timedelta(hours=1)),
        ResponseTarget(severity="sev2", first_response=timedelta(hours=4)),
    ),
)


def contract(**changes):
    fields = {
        "contract_id": "c",
        "customer": "C",
        "region": "eu",
        "starts_at": datetime(2026, 4, 1, tzinfo=UTC),
        "lines": (
            ContractLine(line_id="core", service="api", monthly_fee=Decimal(10), currency="EUR"),
        ),
        "support": TIER,
    }
    return Contract(**{**fields, **changes})


class Ledger:
    """A state and the commands' events applied to it, as the application does."""

    def __init__(self, *contracts: Contract) -> None:
        self.state = LedgerState()
        self.apply(commands.register_service(self.state, API, NOW))
        self.apply(commands.register_service(self.state, WEB, NOW))
        for terms in contracts or (contract(),):
            self.apply(commands.sign_contract(self.state, terms, NOW))

    def apply(self, event):
        self.state.apply(event, self.state.position + 1)
        return event.originator_id

    def __call__(self, command, *args, now=NOW):
        return self.apply(command(self.state, *args, now))


def test_a_case_opened_in_the_past_is_recorded_now_and_never_in_the_future():
    ledger = Ledger()
    earlier = NOW - timedelta(hours=3)
    case = ledger(support.open_case, "c", "sev1", earlier, "outage")
    opened = ledger.state.support.cases[case]
    assert (opened.opened_at, opened.recorded_at) == (to_us(earlier), to_us(NOW))
    with pytest.raises(InvalidEvidence, match="is after the ledger clock's"):
        support.open_case(ledger.state, "c", "sev1", NOW + timedelta(seconds=1), "", NOW)
    with pytest.raises(InvalidEvidence, match="outside contract 'c'"):
        support.open_case(ledger.state, "c", "sev1", datetime(2026, 3, 31, tzinfo=UTC), "", NOW)
    with pytest.raises(InvalidEvidence, match=r"opened_at .* must be a timezone-aware"):
        support.open_case(ledger.state, "c", "sev1", datetime(2026, 4, 2), "", NOW)


def test_a_case_needs_a_known_contract_with_a_tier_and_one_of_its_severities():
    ledger = Ledger(contract(), contract(contract_id="plain", support=None))
    with pytest.raises(UnknownReference, match="unknown contract 'nope'"):
        support.open_case(ledger.state, "nope", "sev1", None, "", NOW)
    with pytest.raises(InvalidTerms, match="contract 'plain' names no support tier in 2026-04"):
        support.open_case(ledger.state, "plain", "sev1", None, "", NOW)
    with pytest.raises(InvalidEvidence, match=r"severity 'sev9' is not one of .* sev1, sev2"):
        support.open_case(ledger.state, "c", "sev9", None, "", NOW)


def test_a_case_responds_once_updates_after_responding_and_takes_nothing_once_resolved():
    ledger = Ledger()
    case = ledger(support.open_case, "c", "sev2", None, "")
    with pytest.raises(InvalidEvidence, match="has no first response yet: respond first"):
        support.update_case(ledger.state, case, "", NOW)
    ledger(support.respond, case, "on it")
    with pytest.raises(InvalidEvidence, match=r"had its first response at .*; record an update"):
        support.respond(ledger.state, case, "", NOW)
    ledger(support.update_case, case, "still on it")
    with pytest.raises(InvalidEvidence, match="is already of severity 'sev2'"):
        support.change_severity(ledger.state, case, "sev2", "", NOW)
    ledger(support.change_severity, case, "sev1", "escalated")
    ledger(support.resolve_case, case, "")
    for command, args in [
        (support.respond, ("",)),
        (support.update_case, ("",)),
        (support.resolve_case, ("",)),
        (support.change_severity, ("sev2", "")),
    ]:
        with pytest.raises(InvalidEvidence, match=r"was resolved at .*; open a new case"):
            command(ledger.state, case, *args, NOW)
    assert ledger.state.support.cases[case].version == 5
    with pytest.raises(UnknownReference, match="unknown support case"):
        support.respond(ledger.state, uuid4(), "", NOW)


def exclude(ledger, **changes):
    fields = {
        "category": "customer-caused",
        "services": ["api"],
        "window": (NOW - timedelta(hours=2), NOW - timedelta(hours=1)),
        "reason": "customer's firewall",
        "decided_by": "ops lead",
        "contract_id": None,
    }
    args = {**fields, **changes}
    return support.record_exclusion(ledger.state, *args.values(), NOW)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"category": "maintenance"}, InvalidEvidence, "announce maintenance instead"),
        ({"category": "a b"}, InvalidEvidence, "'a b' is not a valid name"),
        ({"services": []}, InvalidEvidence, r"services \[\] must be a non-empty list"),
        ({"services": "api"}, InvalidEvidence, "services 'api' must be a non-empty list"),
        ({"services": ["db"]}, UnknownReference, "unknown service 'db'"),
        ({"window": (NOW, NOW)}, InvalidEvidence, "is empty: end must be after start"),
        ({"window": (datetime(2026, 4, 1), NOW)}, InvalidEvidence, "start .* timezone-aware"),
        ({"reason": " "}, InvalidEvidence, "reason ' ' must be a non-empty text"),
        ({"decided_by": ""}, InvalidEvidence, "decided_by '' must be a non-empty text"),
        ({"contract_id": "nope"}, UnknownReference, "unknown contract 'nope'"),
        ({"contract_id": "c", "services": ["web"]}, InvalidEvidence, "measures none of"),
    ],
)
def test_an_exclusion_must_be_explicit_and_reasoned(changes, error, message):
    with pytest.raises(error, match=message):
        exclude(Ledger(), **changes)


def test_an_exclusion_is_withdrawn_once_with_a_reason():
    ledger = Ledger()
    exclusion = ledger.apply(exclude(ledger))
    with pytest.raises(InvalidEvidence, match="decided_by '' must be a non-empty"):
        support.withdraw_exclusion(ledger.state, exclusion, "wrong", "", NOW)
    ledger(support.withdraw_exclusion, exclusion, "wrong service", "ops lead")
    with pytest.raises(InvalidEvidence, match=r"was withdrawn at .*; it is withdrawn once"):
        support.withdraw_exclusion(ledger.state, exclusion, "again", "ops lead", NOW)
    with pytest.raises(UnknownReference, match="unknown exclusion"):
        support.withdraw_exclusion(ledger.state, uuid4(), "x", "y", NOW)
