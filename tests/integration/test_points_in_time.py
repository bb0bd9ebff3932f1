"""A statement as known at two instants, and the difference, on SQLite and PostgreSQL.

The scenario is ``tests/integration/late_evidence.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from sla_ledger import InvalidEvidence, UnknownReference
from sla_ledger.audit.history import contract_lines, statement_diff
from tests.integration.late_evidence import HOUR, KEY, T1, T2, build
from tests.integration.scenario import MAY, at


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def april(request, tmp_path_factory):
    if request.param == "sqlite":
        ledger, refs = build(f"sqlite:///{tmp_path_factory.mktemp('pit') / 'ledger.db'}")
        yield ledger, refs
        ledger.close()
    else:
        with request.getfixturevalue("postgres_databases")() as url:
            ledger, refs = build(url)
            yield ledger, refs
            ledger.close()


def spans(outages) -> list[tuple[datetime, datetime, str]]:
    return [(o.start, o.end, o.cause) for o in outages]


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def test_a_late_probe_an_invalidation_and_a_resolution_show_up_in_the_diff_exactly(april):
    ledger, refs = april
    d = statement_diff(ledger, *KEY, before=T1, after=T2)
    assert d.figures == (
        "down",
        "unknown",
        "unavailable",
        "availability",
        "availability_percent",
        "credit_percent",
        "credit",
    )
    rest_of_month = MAY - at(25, 8)
    assert (d.before.down, d.after.down) == (minutes(45) + rest_of_month, minutes(40 + 30))
    assert (d.before.unknown, d.after.unknown) == (minutes(50), timedelta(0))
    assert (d.before.availability, d.after.availability) == (
        Fraction(2_592_000 - 495_300, 2_592_000),
        Fraction(2_592_000 - 4_200, 2_592_000),
    )
    assert (d.before.availability_percent, d.after.availability_percent) == ("80.8912", "99.8379")
    assert (str(d.before.credit), str(d.after.credit)) == ("1000.00", "100.00")
    assert spans(d.outages_removed) == [
        (at(10, 12), at(10, 12, 45), "probes"),
        (at(25, 8), MAY, "incident"),
    ]
    assert spans(d.outages_added) == [
        (at(10, 12, 5), at(10, 12, 45), "probes"),
        (at(25, 8), at(25, 8, 30), "incident"),
    ]
    assert d.corrections_added == (refs["invalidation"],) and d.corrections_removed == ()
    assert d.evidence == (refs["late"], refs["invalidation"], refs["resolution"])
    assert not d.version_changed and d.changed


AVAILABILITY = ("unavailable", "availability", "availability_percent")
CREDIT = ("credit_percent", "credit")


@pytest.mark.parametrize(
    ("start", "end", "event", "figures"),
    [
        (T1, T1 + 1.5 * HOUR, "late", ("unknown", *AVAILABILITY)),
        (T1 + 1.5 * HOUR, T1 + 2.5 * HOUR, "invalidation", ("down", *AVAILABILITY)),
        (T1 + 2.5 * HOUR, T2, "resolution", ("down", *AVAILABILITY, *CREDIT)),
    ],
    ids=["late probes", "invalidation", "resolution"],
)
def test_each_event_shows_up_in_the_diff_of_the_hour_it_was_recorded_in(
    april, start, end, event, figures
):
    ledger, refs = april
    d = statement_diff(ledger, *KEY, before=start, after=end)
    assert d.evidence == (refs[event],)
    assert d.figures == figures
    assert bool(d.corrections_added) == (event == "invalidation")
    assert bool(d.outages_added) == (event != "late")


def test_the_two_views_are_the_statements_computed_as_known_at_each_instant(april):
    ledger, _ = april
    d = statement_diff(ledger, *KEY, before=T1 + HOUR)
    assert d.before == ledger.compute_statement(*KEY, as_known_at=T1 + HOUR)
    assert d.after == ledger.compute_statement(*KEY)
    assert d.before.known_at == T1 + HOUR and d.after.known_at == T2


def test_the_same_instant_twice_shows_no_change(april):
    ledger, _ = april
    d = statement_diff(ledger, *KEY, before=T1, after=T1)
    assert not d.changed and d.figures == () and d.evidence == ()


def test_issued_versions_compare_the_statement_with_its_restatement(april):
    ledger, _ = april
    computed = statement_diff(ledger, *KEY, before=T1, after=T2)
    d = statement_diff(ledger, *KEY, before=T1, after=T2, issued=True)
    assert (d.before.version, d.after.version) == (1, 2) and d.version_changed
    assert d.before == ledger.statement_for(*KEY, as_known_at=T1)
    assert d.after == ledger.statement_for(*KEY)
    assert d.figures == computed.figures
    assert d.after.changed_by == d.evidence == computed.evidence
    assert statement_diff(ledger, *KEY, before=T1, after=T2 - HOUR, issued=True).changed is False


def test_a_diff_needs_the_earlier_instant_first_and_aware_instants(april):
    ledger, _ = april
    with pytest.raises(InvalidEvidence, match="is later than after"):
        statement_diff(ledger, *KEY, before=T2, after=T1)
    with pytest.raises(InvalidEvidence, match=r"before .* must be a timezone-aware datetime"):
        statement_diff(ledger, *KEY, before=datetime(2026, 5, 1))


def test_a_diff_of_what_was_not_known_or_not_issued_yet_is_refused(april):
    ledger, _ = april
    with pytest.raises(UnknownReference, match="unknown contract 'nope'"):
        statement_diff(ledger, "nope", "core", "2026-04", before=T1)
    with pytest.raises(UnknownReference, match="nothing was known of it then"):
        statement_diff(ledger, *KEY, before=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(UnknownReference, match="had been issued by 2026-04-30"):
        statement_diff(ledger, *KEY, before=at(30), issued=True)
    with pytest.raises(UnknownReference, match="has no line 'edge'"):
        statement_diff(ledger, "acme", "edge", "2026-04", before=T1)


def test_contract_lines_are_those_of_the_terms_for_the_month(april):
    ledger, _ = april
    assert contract_lines(ledger, "acme", "2026-04") == ["core"]
    with pytest.raises(UnknownReference):
        contract_lines(ledger, "acme", "2026-04", datetime(2026, 2, 1, tzinfo=UTC))
