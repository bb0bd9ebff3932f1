"""``explain`` on small ledgers built by hand, one kind of evidence at a time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from sla_ledger import (
    Component,
    Instance,
    InvalidTerms,
    Probe,
    UnknownReference,
)
from sla_ledger.audit.explain import batch_reader, explain, replay
from sla_ledger.domain.derivation import Request, explain_statement
from sla_ledger.domain.explanation import (
    IncidentEvidence,
    ProbeEvidence,
    SilenceEvidence,
    StalenessEvidence,
)
from sla_ledger.domain.time import to_us
from tests.integration.explained import (
    assert_arithmetic_reproduces,
    assert_cited_probes_are_in_the_log,
)
from tests.integration.scenario import (
    LOCATIONS,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    probes,
    record,
    record_month,
)

START = at(1)
END = MAY + timedelta(hours=1)  # the close needs probes past the month's end


def ledger_with(*, service=None, down=(), **terms):
    ledger, clock = new_ledger("memory://")
    ledger.register_service(service or api_service())
    ledger.sign_contract(contract(**terms))
    return ledger, clock


def close(ledger, clock):
    clock.set(MAY + timedelta(hours=2))
    return ledger.close_due_months()


def check(ledger, explanation):
    assert explanation.consistent, explanation.discrepancies
    assert_arithmetic_reproduces(explanation)
    assert_cited_probes_are_in_the_log(ledger, explanation)


def test_an_outage_seen_by_every_location_is_opened_and_closed_by_the_probes_that_saw_it():
    ledger, clock = ledger_with()
    record_month(ledger, START, END, down=[(at(10, 12), at(10, 12, 45))])
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    assert x.issued and x.version == 1 and x.log_position == x.statement.log_position
    (period,) = x.periods
    assert (period.state, period.start, period.end) == ("down", at(10, 12), at(10, 12, 45))
    assert period.counted == timedelta(minutes=45)
    opened, closed = period.opened_by, period.closed_by
    assert (opened.before, opened.after, closed.before, closed.after) == (
        "up",
        "down",
        "down",
        "up",
    )
    assert [(t.target, t.views_down, t.quorum) for t in opened.targets] == [("api", 3, 2)]
    assert all(isinstance(e, ProbeEvidence) for e in opened.evidence + closed.evidence)
    assert sorted(e.location for e in opened.evidence) == sorted(LOCATIONS)
    assert {(e.probe.at, e.probe.outcome) for e in opened.evidence} == {(at(10, 12), "down")}
    assert {(e.probe.at, e.probe.outcome) for e in closed.evidence} == {(at(10, 12, 45), "up")}
    assert x.arithmetic.availability == Fraction(959, 960)
    assert x.arithmetic.credit == Decimal("100.00") == x.statement.credit


def test_probes_that_stop_leave_views_unknown_from_their_staleness_expiry():
    ledger, clock = ledger_with()
    record(ledger, probes(START, at(10, 12)))
    record(ledger, probes(at(10, 13), END))
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    (period,) = x.periods
    # The last probe was at 11:55; a view goes stale 15 minutes (3 intervals) later.
    assert (period.state, period.start, period.end) == ("unknown", at(10, 12, 10), at(10, 13))
    stale = period.opened_by.evidence
    assert all(isinstance(e, StalenessEvidence) for e in stale) and len(stale) == 3
    assert {(e.expired_at, e.staleness, e.last_probe.at) for e in stale} == {
        (at(10, 12, 10), timedelta(minutes=15), at(10, 11, 55))
    }
    assert {e.probe.at for e in period.closed_by.evidence} == {at(10, 13)}


def test_time_before_the_first_probe_is_unknown_for_want_of_any_probe():
    ledger, clock = ledger_with()
    record(ledger, probes(at(2), END))
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    (period,) = x.periods
    assert period.state == "unknown" and period.counted == timedelta(days=1)
    assert period.opened_by.before is None and period.opened_by.after == "unknown"
    assert {type(e) for e in period.opened_by.evidence} == {SilenceEvidence}


def test_a_declared_incident_opens_and_closes_its_down_period_with_its_reason():
    ledger, clock = ledger_with()
    clock.set(at(12, 9, 10))
    incident = ledger.declare_incident(["api"], at(12, 9), reason="db failover")
    clock.set(at(12, 10, 30))
    ledger.resolve_incident(incident, at(12, 10))
    record_month(ledger, START, END)
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    (period,) = x.periods
    assert (period.start, period.end) == (at(12, 9), at(12, 10))
    (opened,) = period.opened_by.evidence
    (closed,) = period.closed_by.evidence
    assert isinstance(opened, IncidentEvidence) and isinstance(closed, IncidentEvidence)
    assert (opened.edge, closed.edge) == ("start", "end")
    assert opened.incident_id == incident and opened.reason == "db failover"
    assert opened.declared.type == "IncidentDeclared"
    assert opened.declared.recorded_at == at(12, 9, 10)
    assert opened.resolved is not None and opened.resolved.recorded_at == at(12, 10, 30)
    (facts,) = x.incidents
    assert (facts.start, facts.end, len(facts.resolutions)) == (at(12, 9), at(12, 10), 1)


def test_an_invalidation_restates_the_month_and_is_cited_with_the_probes_it_removed():
    ledger, clock = ledger_with()
    false_alarm = (at(15, 8), at(15, 9))
    record_month(ledger, START, END, down=[false_alarm])
    close(ledger, clock)
    issued_at = clock.now()
    clock.set(MAY + timedelta(days=1))
    dead = [p._replace(ok=False) for p in probes(*false_alarm)]
    correction = ledger.invalidate_probes(dead, reason="broken probe agent")
    (restated,) = ledger.close_due_months()

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    assert x.version == restated.version == 2
    assert [r.originator_id for r in x.statement.changed_by] == [correction]
    (period,) = x.periods  # the views went stale, not down: 08:10 to 09:00 is unknown
    assert (period.state, period.start, period.end) == ("unknown", at(15, 8, 10), at(15, 9))
    removed = period.corrections
    assert {e.correction.originator_id for e in removed} == {correction}
    assert {e.reason for e in removed} == {"broken probe agent"}
    assert {(e.probe.at, e.probe.outcome) for e in removed} >= {(at(15, 8), "down")}
    (listed,) = x.corrections
    assert listed.correction.originator_id == correction and len(listed.probes) == 36

    before = explain(ledger, "acme", "core", "2026-04", as_known_at=issued_at)

    check(ledger, before)
    assert before.version == 1 and before.as_known_at == issued_at
    assert [(p.state, p.start, p.end) for p in before.periods] == [("down", *false_alarm)]
    assert not before.corrections and not before.periods[0].corrections


def test_a_failure_redundancy_absorbed_is_shown_with_the_instance_probes():
    db = Component(
        name="db", instances=(Instance(name="db1", zone="a"), Instance(name="db2", zone="b"))
    )
    ledger, clock = ledger_with(service=api_service(components=(db,)))
    for target in ("api", "api/db/db1", "api/db/db2"):
        down = [(at(8, 10), at(8, 12))] if target == "api/db/db2" else []
        record(ledger, probes(START, END, down, target=target))
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    assert not x.periods
    (absorbed,) = x.absorbed
    assert (absorbed.target, absorbed.zone, absorbed.component) == ("api/db/db2", "b", "db")
    assert (absorbed.start, absorbed.end) == (at(8, 10), at(8, 12))
    (target,) = absorbed.opened_by.targets
    assert (target.target, target.before, target.after) == ("api/db/db2", "up", "down")
    assert {e.probe.target for e in absorbed.opened_by.evidence} == {"api/db/db2"}


def test_a_failure_stops_being_absorbed_where_its_component_goes_down():
    db = Component(
        name="db", instances=(Instance(name="db1", zone="a"), Instance(name="db2", zone="b"))
    )
    ledger, clock = ledger_with(service=api_service(endpoint=False, components=(db,)))
    outages = {"api/db/db1": [(at(8, 10), at(8, 12))], "api/db/db2": [(at(8, 11), at(8, 11, 30))]}
    for target, down in outages.items():
        record(ledger, probes(START, END, down, target=target))
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    (period,) = x.periods  # both instances down: the component, and so the service
    assert (period.state, period.start, period.end) == ("down", at(8, 11), at(8, 11, 30))
    assert [(t.target, t.after) for t in period.opened_by.targets] == [("api/db/db2", "down")]
    (component,) = period.opened_by.components
    assert (component.before, component.after, component.instances_down) == ("up", "down", 2)
    first, second = x.absorbed
    assert [(a.target, a.start, a.end) for a in x.absorbed] == [
        ("api/db/db1", at(8, 10), at(8, 11)),
        ("api/db/db1", at(8, 11, 30), at(8, 12)),
    ]
    # db1 stayed down; its failure stopped being absorbed when db went down, and resumed.
    assert (first.closed_by.before, first.closed_by.after) == ("down", "down")
    assert [(c.before, c.after) for c in first.closed_by.components] == [("up", "down")]
    assert [(c.before, c.after) for c in second.opened_by.components] == [("down", "up")]
    assert not first.closed_by.evidence


def test_each_maintenance_window_says_why_it_did_or_did_not_qualify_and_what_the_cap_left():
    ledger, clock = ledger_with(maintenance_cap=timedelta(minutes=90))
    announce = {}
    for day, notice in (("A", 6), ("B", 6), ("C", 4), ("D", 7), ("E", 7)):
        start = at(20 + "ABCDE".index(day), 1)
        clock.set(start - timedelta(days=notice))
        hours = 2 if day == "B" else 1
        announce[day] = ledger.announce_maintenance(
            ["api"], start, start + timedelta(hours=hours), reason=f"window {day}"
        )
    ledger.cancel_maintenance(announce["D"], reason="not needed")
    clock.set(at(23, 1))
    ledger.reschedule_maintenance(announce["E"], at(25, 1), at(25, 2))
    record_month(ledger, START, END)
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    m = x.maintenance
    assert (m.cap, m.used, m.left) == (timedelta(minutes=90), timedelta(minutes=90), timedelta(0))
    by_id = {w.announcement_id: w for w in m.windows}
    a, b, c, d, e = (by_id[announce[k]] for k in "ABCDE")
    assert (a.status, a.excluded, a.cap_left) == (
        "qualifying",
        timedelta(hours=1),
        timedelta(minutes=30),
    )
    assert (b.status, b.excluded, b.over_cap) == (
        "qualifying",
        timedelta(minutes=30),
        timedelta(minutes=90),
    )
    assert b.cap_left == timedelta(0) and "cap was used up" in b.why
    assert (c.status, c.lead, c.cap_left) == ("late", timedelta(days=4), None)
    assert c.notice == timedelta(days=5) and "less than the notice" in c.why
    assert d.status == "cancelled" and d.cancelled is not None
    assert d.cancelled.reason == "not needed" and "never qualifies" in d.why
    assert e.status == "late" and (e.start, e.lead) == (at(25, 1), timedelta(days=2))
    assert [s.event.type for s in e.history] == ["MaintenanceAnnounced", "MaintenanceRescheduled"]
    assert "latest schedule" in e.why


def test_a_down_period_shorter_than_min_downtime_is_listed_as_a_blip_not_a_period():
    ledger, clock = ledger_with()
    record_month(ledger, START, END)
    record(ledger, [Probe("api", loc, at(10, 12, 1), False) for loc in LOCATIONS])
    record(ledger, [Probe("api", loc, at(10, 12, 1, 30), True) for loc in LOCATIONS])
    close(ledger, clock)

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    assert not x.periods and x.min_downtime == timedelta(seconds=60)
    (blip,) = x.blips
    assert (blip.start, blip.end, blip.duration) == (
        at(10, 12, 1),
        at(10, 12, 1, 30),
        timedelta(seconds=30),
    )
    assert {e.probe.outcome for e in blip.opened_by.evidence} == {"down"}


def test_a_month_not_issued_yet_is_explained_as_computed_now():
    ledger, clock = ledger_with()
    record(ledger, probes(START, at(15), down=[(at(10, 12), at(10, 13))]))

    x = explain(ledger, "acme", "core", "2026-04")

    check(ledger, x)
    assert not x.issued and x.version is None
    assert x.statement.known_at == clock.now() == at(14, 23, 55)
    expected = ledger.compute_statement("acme", "core", "2026-04", clock.now(), until=clock.now())
    assert x.statement == expected
    assert [(p.state, p.start) for p in x.periods] == [("down", at(10, 12))]


def test_a_forged_statement_is_reported_as_a_discrepancy_naming_each_figure():
    ledger, clock = ledger_with()
    record_month(ledger, START, END, down=[(at(10, 12), at(10, 12, 45))])
    (issued,) = close(ledger, clock)
    forged = issued.model_copy(update={"credit": Decimal("999.00"), "down": timedelta(0)})
    state, catalogue = replay(ledger, issued.log_position)

    request = Request("acme", "core", "2026-04", forged, to_us(issued.known_at))
    x = explain_statement(state, catalogue, batch_reader(ledger), request)

    assert not x.consistent
    fields = {d.field for d in x.discrepancies}
    assert {"credit", "down", "credit (arithmetic)", "down (sum of periods)"} <= fields
    credit = next(d for d in x.discrepancies if d.field == "credit")
    assert (credit.issued, credit.derived) == ("999.00", "100.00")


def ledger_reader(ledger):
    from sla_ledger.audit.explain import _batch_reader

    return _batch_reader(ledger)


def test_unknown_contracts_lines_and_months_are_refused_with_what_exists():
    ledger, _ = ledger_with()
    with pytest.raises(UnknownReference, match=r"unknown contract 'nope'.*'acme'"):
        explain(ledger, "nope", "core", "2026-04")
    with pytest.raises(UnknownReference, match=r"no line 'edge'.*'core'"):
        explain(ledger, "acme", "edge", "2026-04")
    with pytest.raises(UnknownReference, match="not active in 2026-03: it runs from 2026-04-01"):
        explain(ledger, "acme", "core", "2026-03")
    with pytest.raises(InvalidTerms, match="invalid month '2026-13'"):
        explain(ledger, "acme", "core", "2026-13")


def test_the_explanation_is_json_with_exact_values_as_strings_and_reads_back():
    ledger, clock = ledger_with()
    record_month(ledger, START, END, down=[(at(10, 12), at(10, 12, 45))])
    close(ledger, clock)
    x = explain(ledger, "acme", "core", "2026-04")

    data = x.model_dump(mode="json")

    assert data["arithmetic"]["availability"] == "959/960"
    assert data["arithmetic"]["credit"] == "100.00"
    assert data["periods"][0]["counted"] == "2700"
    assert data["periods"][0]["opened_by"]["evidence"][0]["kind"] == "probe"
    assert type(x).model_validate(data) == x
