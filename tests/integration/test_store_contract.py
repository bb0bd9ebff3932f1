"""One storage contract, run against every backend: SQLite file and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla_ledger import (
    Component,
    Instance,
    InvalidEvidence,
    InvalidTerms,
    Probe,
    ProbeConflict,
    UnknownReference,
    open_ledger,
)
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    probes,
    record,
    record_month,
)

CLOSE = datetime(2026, 5, 1, 2, tzinfo=UTC)


class StoreContract:
    """Behaviour every store must show. Subclasses provide ``url``."""

    @pytest.fixture
    def url(self) -> str:  # abstract
        raise NotImplementedError  # abstract

    @pytest.fixture
    def ledger(self, url):
        ledger, clock = new_ledger(url)
        ledger.register_service(api_service())
        ledger.sign_contract(contract())
        ledger.test_clock = clock
        yield ledger
        ledger.close()

    def test_a_probe_sent_twice_is_recorded_once(self, ledger):
        batch = probes(at(1), at(1, 1))
        first = record(ledger, batch)
        again = record(ledger, batch + probes(at(1, 1), at(1, 2)))
        assert (first.recorded, first.duplicates) == (len(batch), 0)
        assert (again.recorded, again.duplicates) == (len(batch), len(batch))
        assert record(ledger, batch).batch_id is None

    def test_the_same_probe_with_different_content_is_a_conflict(self, ledger):
        record(ledger, [Probe("api", "fra", at(1), True, 1_000)])
        position = ledger.position
        with pytest.raises(ProbeConflict, match=r"api@fra@2026-04-01T00:00:00Z#up"):
            record(
                ledger, [Probe("api", "ams", at(1), True), Probe("api", "fra", at(1), True, 2_000)]
            )
        assert ledger.position == position

    def test_a_bad_probe_refuses_the_whole_batch(self, ledger):
        position = ledger.position
        good = probes(at(1), at(1, 1))
        for bad, message in [
            (Probe("api", "fra", datetime(2026, 4, 1), True), "timezone-aware"),
            (Probe("nope", "fra", at(1), True), "unknown target 'nope'"),
            (Probe("api", "mars", at(1), True), "location 'mars' is not registered"),
            (Probe("api", "fra", at(1), "yes"), "must be True or False"),
            ("not a probe", "expected Probe"),
        ]:
            with pytest.raises((InvalidEvidence, UnknownReference), match=message):
                record(ledger, [*good, bad])
        assert ledger.position == position

    def test_every_probe_stays_addressable_and_can_be_invalidated(self, ledger):
        record(ledger, probes(APRIL, MAY, down=[(at(3, 10), at(3, 11))]))
        broken = [p for p in probes(at(3, 10), at(3, 11)) if p.location == "fra"]
        flipped = [Probe(p.target, p.location, p.at, False) for p in broken]
        ledger.invalidate_probes([p.probe_id for p in flipped], reason="fra probe location broken")
        st = ledger.compute_statement("acme", "core", "2026-04")
        # two of three locations still see the outage: quorum holds it down
        assert st.down == timedelta(hours=1)
        assert [c.type for c in st.corrections] == ["ProbesInvalidated"]
        with pytest.raises(UnknownReference, match="no recorded probe"):
            ledger.invalidate_probes([Probe("api", "fra", at(9), False)], reason="never recorded")

    def test_closing_is_automatic_exactly_once_and_survives_reopening(self, ledger, url):
        record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
        clock = ledger.test_clock
        clock.set(MAY + timedelta(minutes=59))
        assert ledger.close_due_months() == []  # within the grace hour
        clock.set(CLOSE)
        [issued] = ledger.close_due_months()
        assert ledger.close_due_months() == []
        other = open_ledger(url, clock=clock)
        assert other.close_due_months() == []
        assert other.statement_for("acme", "core", "2026-04") == issued
        assert [c.amount for c in other.credits()] == [Decimal("100.00")]
        other.close()

    def test_late_evidence_restates_and_adjusts_only_upward_without_clawback(self, ledger):
        clock = ledger.test_clock
        record_month(ledger, APRIL, MAY)
        clock.set(CLOSE)
        [first] = ledger.close_due_months()
        assert first.credit == 0 and first.version == 1
        clock.advance(timedelta(days=2))
        incident = ledger.declare_incident(
            ["api"], at(10, 12), None, reason="database outage found late"
        )
        ledger.resolve_incident(incident, at(10, 13))
        [second] = ledger.close_due_months()
        assert (
            second.version == 2
            and second.down == timedelta(hours=1)
            and second.credit == Decimal("100.00")
        )
        assert {r.type for r in second.changed_by} == {"IncidentDeclared", "IncidentResolved"}
        assert [(c.kind, c.amount) for c in ledger.credits()] == [
            ("CreditAdjusted", Decimal("100.00"))
        ]
        # The incident is corrected to be much shorter: figures fall, no money is taken back.
        clock.advance(timedelta(days=1))
        ledger.resolve_incident(incident, at(10, 12, 2))
        [third] = ledger.close_due_months()
        assert third.version == 3 and third.credit == 0
        assert [c.amount for c in ledger.credits()] == [Decimal("100.00")]
        assert ledger.close_due_months() == []
        # What was known when the first statement was issued is still there.
        assert ledger.statement_for("acme", "core", "2026-04", as_known_at=CLOSE).version == 1
        assert ledger.compute_statement(
            "acme", "core", "2026-04", as_known_at=CLOSE
        ).down == timedelta(0)

    def test_clawback_takes_a_credit_back_when_the_contract_allows_it(self, url):
        ledger, clock = new_ledger(url)
        ledger.register_service(api_service())
        ledger.sign_contract(contract(clawback=True))
        record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 13))])
        clock.set(CLOSE)
        ledger.close_due_months()
        clock.advance(timedelta(days=1))
        # The probes were wrong: invalidate them and record what monitoring should have seen.
        bad = [Probe(p.target, p.location, p.at, False) for p in probes(at(10, 12), at(10, 13))]
        ledger.invalidate_probes(bad, reason="monitoring bug")
        record(ledger, probes(at(10, 12), at(10, 13)))
        [restated] = ledger.close_due_months()
        assert restated.credit == 0
        assert [c.amount for c in ledger.credits()] == [Decimal("100.00"), Decimal("-100.00")]
        ledger.close()

    def test_maintenance_notice_is_judged_at_recording_time_and_cancellation_is_final(self, ledger):
        clock = ledger.test_clock
        clock.set(at(1))
        early = ledger.announce_maintenance(["api"], at(20, 2), at(20, 4), reason="upgrade")
        clock.set(at(18))
        ledger.reschedule_maintenance(early, at(21, 2), at(21, 4))  # only 3 days ahead now
        cancelled = ledger.announce_maintenance(["api"], at(28, 2), at(28, 3))
        ledger.cancel_maintenance(cancelled, reason="not needed")
        with pytest.raises(InvalidEvidence, match="was cancelled"):
            ledger.reschedule_maintenance(cancelled, at(29, 2), at(29, 3))
        with pytest.raises(InvalidEvidence, match="end must be after start"):
            ledger.announce_maintenance(["api"], at(25, 2), at(25, 2))
        record_month(ledger, APRIL, MAY, down=[(at(21, 2), at(21, 4)), (at(28, 2), at(28, 3))])
        st = ledger.compute_statement("acme", "core", "2026-04")
        assert sorted(m.status for m in st.maintenance) == ["cancelled", "late"]
        assert st.excluded == timedelta(0) and st.down == timedelta(hours=3)

    def test_maintenance_beyond_the_cap_counts_as_ordinary_time(self, ledger):
        clock = ledger.test_clock
        clock.set(at(1))
        ledger.announce_maintenance(["api"], at(20, 0), at(20, 6))
        ledger.announce_maintenance(["api"], at(20, 4), at(20, 10))  # overlaps: union is 10 h
        record_month(ledger, APRIL, MAY, down=[(at(20, 0), at(20, 10))])
        st = ledger.compute_statement("acme", "core", "2026-04")
        assert st.excluded == timedelta(hours=8) and st.down == timedelta(hours=2)

    def test_an_open_incident_keeps_the_service_down_until_resolved(self, ledger):
        record_month(ledger, APRIL, MAY)
        ledger.declare_incident(["api"], at(30, 23), reason="region failure")
        st = ledger.compute_statement("acme", "core", "2026-04")
        assert st.down == timedelta(hours=1) and st.outages[0].cause == "incident"
        with pytest.raises(InvalidEvidence, match="timezone-aware"):
            ledger.declare_incident(["api"], datetime(2026, 4, 2), reason="naive")
        with pytest.raises(UnknownReference, match="'web'"):
            ledger.declare_incident(["web"], at(2), reason="unknown")

    def test_amendments_apply_from_the_next_month_and_termination_ends_measurement(self, ledger):
        clock = ledger.test_clock
        clock.set(at(15))
        effective = ledger.amend_contract(contract(fee="2000.00"))
        assert effective == "2026-05"
        ends = ledger.notice_termination("acme", ends_at=at(1, month=5) + timedelta(days=15))
        assert ends == datetime(2026, 5, 16, tzinfo=UTC)
        record_month(
            ledger,
            APRIL,
            datetime(2026, 6, 1, tzinfo=UTC),
            down=[(at(20, 0), at(20, 6)), (at(10, 0, month=5), at(10, 6, month=5))],
        )
        clock.set(datetime(2026, 7, 1, 2, tzinfo=UTC))
        issued = ledger.close_due_months()
        assert [(s.month, s.base) for s in issued] == [
            ("2026-04", Decimal("1000.00")),
            ("2026-05", Decimal("967.74")),
        ]
        # May: 15 of 31 days at 2,000.00 -> base 967.74...; 6 h of 360 h down -> 98.33 % -> 25 %
        may = issued[1]
        assert may.active == timedelta(days=15) and may.credit == Decimal("241.94")

    def test_a_service_with_redundant_instances_shows_absorbed_failures(self, url):
        ledger, _clock = new_ledger(url)
        db = Component(
            name="db",
            min_healthy=2,
            instances=tuple(Instance(name=f"db{z}", zone=z) for z in "abc"),
        )
        ledger.register_service(api_service(endpoint=False, components=(db,)))
        ledger.sign_contract(contract())
        outages = {"a": [(at(5, 1), at(5, 3))], "b": [(at(5, 2), at(5, 4))], "c": []}
        for zone, outage in outages.items():
            record(ledger, probes(APRIL, MAY, down=outage, target=f"api/db/db{zone}"))
        st = ledger.compute_statement("acme", "core", "2026-04")
        # two instances down together only 02:00-03:00: min_healthy 2 cannot be met
        assert st.down == timedelta(hours=1)
        assert sorted((f.target, f.duration) for f in st.absorbed_failures) == [
            ("api/db/dba", timedelta(hours=1)),
            ("api/db/dbb", timedelta(hours=1)),
        ]
        ledger.close()

    def test_quorum_outvotes_a_single_disagreeing_location(self, ledger):
        everything = probes(APRIL, MAY)
        lonely = {(p.location, p.at) for p in probes(at(7), at(7, 3)) if p.location == "lon"}
        everything = [
            Probe(p.target, p.location, p.at, (p.location, p.at) not in lonely) for p in everything
        ]
        record(ledger, everything)
        st = ledger.compute_statement("acme", "core", "2026-04")
        assert st.down == timedelta(0) and st.unknown == timedelta(0)


class TestSqliteFile(StoreContract):
    @pytest.fixture
    def url(self, tmp_path) -> str:
        return f"sqlite:///{tmp_path}/ledger.db"


class TestPostgres(StoreContract):
    @pytest.fixture
    def url(self, fresh_postgres_url) -> str:
        return fresh_postgres_url


class TestIntegrityRules:
    """Refusals that keep the ledger honest; one backend is enough for each."""

    url = "memory://"

    @pytest.fixture
    def ledger(self):
        ledger, clock = new_ledger(self.url)
        ledger.register_service(api_service())
        ledger.sign_contract(contract())
        ledger.test_clock = clock
        yield ledger
        ledger.close()

    def test_a_probe_from_the_ledger_clocks_future_is_refused(self, ledger):
        ledger.test_clock.set(at(10))
        position = ledger.position
        with pytest.raises(InvalidEvidence, match="a probe is recorded after it happens"):
            ledger.record_probes([Probe("api", "fra", at(10, 0, 6), True)])
        assert ledger.position == position
        # within five minutes of clock skew, it is accepted
        assert ledger.record_probes([Probe("api", "fra", at(10, 0, 5), True)]).recorded == 1

    def test_notice_of_termination_is_given_once(self, ledger):
        ledger.test_clock.set(at(2))
        ledger.notice_termination("acme")
        with pytest.raises(InvalidTerms, match="already has notice of termination"):
            ledger.notice_termination("acme", ends_at=at(30))

    def test_the_notice_period_is_the_one_in_force_not_an_amendment_still_to_come(self):
        ledger, _ = new_ledger(self.url, now=at(10, month=3))
        ledger.register_service(api_service())
        ledger.sign_contract(contract(starts_at=datetime(2026, 3, 1, tzinfo=UTC)))
        ledger.amend_contract(
            contract(starts_at=datetime(2026, 3, 1, tzinfo=UTC), notice_period=timedelta(0))
        )
        ends = ledger.notice_termination("acme")
        assert ends == at(10, month=3) + timedelta(days=30)

    def test_instants_are_stored_in_utc(self, ledger):
        berlin = datetime(2026, 4, 2, 12, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
        ledger.test_clock.set(at(3))
        incident = ledger.declare_incident(["api"], berlin, reason="outage")
        [declared] = [e for e in ledger.events.get(incident)]
        assert declared.start.utcoffset() == timedelta(0) and declared.start == berlin
