"""April 2026 of ``acme``/``core`` with evidence that arrives after its close.

(UTC, 720 h, 1,000.00 EUR.) A 45-minute outage on 10 April (12:00-12:45, all
locations), no probes on 20 April 10:00-11:00 (50 minutes unknown: the 09:55
probes are stale after 10:10), and an incident declared open from 25 April
08:00. The month is closed at T1. Then, an hour apart: the missing probes
arrive late, the 12:00 down probes are invalidated, and the incident is
resolved at 08:30. At T2 the month is closed again (a restatement).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla_ledger.domain.statement import EventRef
from tests.integration.scenario import (
    APRIL,
    LOCATIONS,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    probes,
    record,
)

T1 = datetime(2026, 5, 1, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
T2 = T1 + 4 * HOUR
GAP = (at(20, 10), at(20, 11))
KEY = ("acme", "core", "2026-04")


def ref(ledger, event_type: str, stream) -> EventRef:
    """The reference of the last event of a stream, as statements cite it."""
    found = [r for r in ledger.catch_up().touches["api"] if r.ref.originator_id == stream]
    assert found and found[-1].ref.type == event_type
    return found[-1].ref


def build(url: str):
    ledger, clock = new_ledger(url)
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    month = probes(APRIL, MAY + HOUR, down=[(at(10, 12), at(10, 12, 45))])
    month = [p for p in month if not GAP[0] <= p.at < GAP[1]]
    for i in range(0, len(month), 9_000):
        record(ledger, month[i : i + 9_000])
    incident = ledger.declare_incident(["api"], at(25, 8), reason="database down")
    clock.set(T1)
    ledger.close_due_months()
    clock.set(T1 + HOUR)
    late = record(ledger, probes(*GAP)).batch_id
    clock.set(T1 + 2 * HOUR)
    ids = [f"api@{location}@2026-04-10T12:00:00Z#down" for location in LOCATIONS]
    invalidation = ledger.invalidate_probes(ids, "probe host fault")
    clock.set(T1 + 3 * HOUR)
    ledger.resolve_incident(incident, at(25, 8, 30))
    clock.set(T2)
    ledger.close_due_months()
    refs = {
        "late": ref(ledger, "ProbesRecorded", late),
        "invalidation": ref(ledger, "ProbesInvalidated", invalidation),
        "resolution": ref(ledger, "IncidentResolved", incident),
    }
    return ledger, refs
