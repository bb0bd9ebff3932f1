"""What users need to test their code against sla-ledger.

``memory_ledger()`` gives a real ledger in a private in-memory SQLite database
with a clock you move. The hypothesis strategies (``pip install
'sla-ledger[testing]'``) generate valid services and batches of probes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sla_ledger.application import SlaLedger
from sla_ledger.bootstrap import open_ledger
from sla_ledger.clock import ManualClock
from sla_ledger.domain.evidence import Probe
from sla_ledger.domain.terms import Component, Instance, Service

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["memory_ledger", "probe_batches", "services"]


def memory_ledger(now: datetime | None = None) -> tuple[SlaLedger, ManualClock]:
    """A fresh in-memory ledger and the manual clock it records knowledge time from."""
    clock = ManualClock(now or datetime(2026, 1, 1, tzinfo=UTC))
    return open_ledger("memory://", clock=clock), clock


def services(service_id: str = "api") -> SearchStrategy[Service]:
    """Services with 1-4 locations, an interval of 10 s to 5 min, and optional redundancy."""
    from hypothesis import strategies as st

    names = ["fra", "ams", "lon", "par"]

    @st.composite
    def build(draw: st.DrawFn) -> Service:
        locations = tuple(names[: draw(st.integers(1, 4))])
        interval = timedelta(seconds=draw(st.sampled_from([10, 30, 60, 300])))
        redundant = draw(st.booleans())
        endpoint = draw(st.booleans()) if redundant else True
        components: tuple[Component, ...] = ()
        if redundant:
            count = draw(st.integers(1, 3))
            instances = tuple(Instance(name=f"i{n}", zone=f"z{n}") for n in range(count))
            components = (
                Component(name="db", instances=instances, min_healthy=draw(st.integers(1, count))),
            )
        return Service(
            service_id=service_id,
            locations=locations,
            probe_interval=interval,
            endpoint=endpoint,
            components=components,
        )

    return build()


def probe_batches(
    service: Service, start: datetime, periods: int = 50
) -> SearchStrategy[list[Probe]]:
    """A batch of probes of every target of ``service`` from every location, on its
    interval, for up to ``periods`` intervals from ``start``; some fail, some are missing."""
    from hypothesis import strategies as st

    slots = [
        (target, location, start + service.probe_interval * k)
        for k in range(periods)
        for target in service.targets()
        for location in service.locations
    ]
    return st.lists(
        st.tuples(st.sampled_from(slots), st.booleans()), max_size=len(slots), unique_by=lambda x: x
    ).map(lambda drawn: [Probe(t, loc, at, ok) for (t, loc, at), ok in drawn])
