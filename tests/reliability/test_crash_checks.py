"""The checks the crash suite makes after each kill pass on a store nobody killed and
fail on each kind of damage they look for: a batch in part, a batch reported but
absent, a probe twice, a probe-index row without its event, a close in part."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from uuid import uuid4

import pytest

from sla_ledger import ManualClock, SlaLedger, open_ledger
from sla_ledger.adapters.jsonl import leaf_of
from sla_ledger.adapters.log_leaves import stamp
from sla_ledger.adapters.probe_index import TABLE, series_key
from sla_ledger.domain import events as ev
from sla_ledger.domain.time import to_us
from tests.reliability import crash_scenario as scenario
from tests.reliability.crash_checks import (
    Log,
    assert_batches_whole,
    assert_closes_whole,
    assert_sound,
    read_log,
)
from tests.reliability.crash_kinds import BATCHES

FIRST_DAY = scenario.day_probes(scenario.DAYS[0])


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Log]:
    """A store holding the whole work, never killed, and its log."""
    url = f"sqlite:///{tmp_path_factory.mktemp('whole') / 'whole.db'}"
    clock = ManualClock(scenario.SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    scenario.ingest(ledger, clock, quiet)
    scenario.close(ledger, clock, quiet)
    log = read_log(ledger)
    ledger.close()
    return url, log


@pytest.fixture
def terms_only(tmp_path) -> tuple[SlaLedger, ManualClock, str]:
    path = tmp_path / "terms.db"
    clock = ManualClock(scenario.SIGNED_AT)
    ledger = open_ledger(f"sqlite:///{path}", clock=clock)
    scenario.terms(ledger, clock)
    clock.set(scenario.DAYS[1])
    yield ledger, clock, str(path)
    ledger.close()


def test_a_store_nobody_killed_passes_every_check(whole):
    url, log = whole
    ledger = open_ledger(url)
    try:
        assert_sound(ledger, "whole")
    finally:
        ledger.close()
    assert assert_batches_whole(log, BATCHES, range(len(BATCHES)), "whole") == len(BATCHES)
    assert_closes_whole(log, log, "whole")


def test_a_batch_recorded_in_part_is_seen(terms_only):
    ledger, _, _ = terms_only
    ledger.record_probes(FIRST_DAY[: len(FIRST_DAY) // 2])
    with pytest.raises(AssertionError, match="batch 0 is partly visible: 432 of its 864"):
        assert_batches_whole(read_log(ledger), BATCHES, [], "half")


def test_a_batch_reported_committed_but_absent_is_seen(terms_only):
    ledger, _, _ = terms_only
    with pytest.raises(AssertionError, match="batch 0 was reported committed but is not"):
        assert_batches_whole(read_log(ledger), BATCHES, [0], "lost")


def test_a_probe_index_row_without_its_event_is_seen(terms_only):
    ledger, _, path = terms_only
    ledger.record_probes(FIRST_DAY)
    with sqlite3.connect(path) as db:  # as if the index were written apart from its batch
        db.execute(f"INSERT INTO {TABLE} VALUES (?,?,?,?)", (series_key("api", "fra"), 7, 1, -1))
    with pytest.raises(AssertionError, match="the probe index of api@fra holds 145 rows for 144"):
        assert_sound(ledger, "orphan")


def test_a_probe_recorded_twice_is_seen(terms_only):
    ledger, clock, _ = terms_only
    ledger.record_probes(FIRST_DAY)
    again = ev.ProbesRecorded(
        originator_id=uuid4(),
        originator_version=1,
        recorded_at=clock.now(),
        series=(
            ev.ProbeSeries(target="api", location="fra", at=[to_us(FIRST_DAY[0].at)], ok=[True]),
        ),
    )
    ledger.import_events(
        [ledger.mapper.to_stored_event(again)], (), [(leaf_of(again), stamp(again))]
    )
    with pytest.raises(AssertionError, match="1 probes recorded twice"):
        assert_sound(ledger, "twice")


def _without(log: Log, kind: type[ev.DomainEvent]) -> Log:
    first = next(i for i, e in enumerate(log.events) if isinstance(e, kind))
    return replace(log, events=log.events[:first] + log.events[first + 1 :])


def test_a_close_with_a_line_missing_is_seen(whole):
    _, log = whole
    with pytest.raises(AssertionError, match=r"of the 24 statements the close at 2026-06-02 00:00"):
        assert_closes_whole(_without(log, ev.StatementIssued), log, "line")


def test_a_statement_without_its_credit_is_seen(whole):
    _, log = whole
    with pytest.raises(AssertionError, match=r"credits .*, expected"):
        assert_closes_whole(_without(log, ev.CreditIssued), log, "credit")


def test_a_statement_recorded_twice_is_seen(whole):
    _, log = whole
    restated = next(e for e in log.events if isinstance(e, ev.StatementRestated))
    with pytest.raises(AssertionError, match="statements recorded twice"):
        assert_closes_whole(replace(log, events=[*log.events, restated]), log, "twice")
