"""sla_ledger.testing: what users test with, tested with itself."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger.testing import memory_ledger, probe_batches, services

START = datetime(2026, 4, 1, tzinfo=UTC)


@st.composite
def service_and_batch(draw):
    service = draw(services())
    return service, draw(probe_batches(service, START, periods=20))


@settings(max_examples=25)
@given(service_and_batch())
def test_any_batch_sent_twice_is_recorded_once(case):
    service, batch = case
    ledger, _ = memory_ledger(now=START + timedelta(days=1))
    ledger.register_service(service)
    first = ledger.record_probes(batch)
    position = ledger.position
    again = ledger.record_probes(batch)
    assert first.recorded == len(batch)
    assert (again.recorded, again.duplicates) == (0, len(batch))
    assert ledger.position == position
    ledger.close()
