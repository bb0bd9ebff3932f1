"""Fuzzing support cases and exclusions with hostile arguments."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger.domain.time import to_us
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.hostile import attempt, aware_instants, either, ids_from
from tests.reliability.fuzz.world import APRIL, NOW, Template
from tests.reliability.profile import sized

SEVERITIES = st.sampled_from(["sev1", "sev2", "sev3", "SEV1"])


@settings(max_examples=sized(25, 500))
@given(data=st.data())
def test_a_case_is_opened_and_moved_on_as_given_or_refused(world: Template, data) -> None:
    counter.count()
    ids = world.ids
    contract = data.draw(either(st.sampled_from(["c1", "c2"])))
    severity = data.draw(either(SEVERITIES))
    opened_at = data.draw(
        either(
            st.one_of(
                st.none(),
                st.integers(0, 40 * 86_400).map(lambda s: NOW - timedelta(seconds=s)),
                aware_instants(),
            )
        )
    )
    subject = data.draw(either(st.just("it is down")))
    case = data.draw(ids_from(ids.case, ids.resolved_case))
    step = data.draw(st.sampled_from(["change_severity", "respond", "update_case", "resolve_case"]))
    note = data.draw(either(st.just("on it")))
    with world.copy() as (ledger, _):
        opened = attempt(ledger, ledger.open_case, contract, severity, opened_at, subject)
        if opened.accepted:
            summary = next(c for c in ledger.cases(contract) if c.case_id == opened.value)
            if opened_at is not None:
                assert to_us(summary.opened_at) == to_us(opened_at)
        action = getattr(ledger, step)
        args = (
            (case, data.draw(either(SEVERITIES)), note)
            if step == "change_severity"
            else (case, note)
        )
        if attempt(ledger, action, *args).accepted:
            assert ledger.catch_up().support.cases[case].version > 1


@settings(max_examples=sized(25, 500))
@given(data=st.data())
def test_an_exclusion_is_recorded_and_withdrawn_as_given_or_refused(world: Template, data) -> None:
    counter.count()
    category = data.draw(either(st.sampled_from(["customer-caused", "maintenance", "force"])))
    services = data.draw(either(st.sampled_from([["web"], ["api"], ["web", "api"]])))
    start = data.draw(
        either(st.integers(0, 50 * 86_400).map(lambda s: APRIL + timedelta(seconds=s)))
    )
    end = data.draw(
        either(
            st.integers(1, 86_400).map(
                lambda s: (start if not isinstance(start, int) else APRIL) + timedelta(seconds=s)
            )
            if hasattr(start, "tzinfo")
            else aware_instants()
        )
    )
    reason = data.draw(either(st.just("their deploy")))
    decided_by = data.draw(either(st.just("ops")))
    contract = data.draw(either(st.sampled_from([None, "c1", "c2"])))
    which = data.draw(ids_from(world.ids.exclusion))
    with world.copy() as (ledger, _):
        outcome = attempt(
            ledger, ledger.exclude, category, services, start, end, reason, decided_by, contract
        )
        if outcome.accepted:
            exclusion = ledger.catch_up().support.exclusions[outcome.value]
            assert (exclusion.start, exclusion.end) == (to_us(start), to_us(end))
            assert exclusion.event.services == tuple(services)
        withdrawn = attempt(
            ledger,
            ledger.withdraw_exclusion,
            which,
            data.draw(either(st.just("wrong"))),
            data.draw(either(st.just("ops"))),
        )
        if withdrawn.accepted:
            assert ledger.catch_up().support.exclusions[which].withdrawn is not None
