"""Arguments of the wrong type or out of range are refused where they come in, naming
them (found by tests/reliability/fuzz), and nothing is written."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sla_ledger import ImportFailed, InvalidArgument, InvalidEvidence, SlaLedger
from sla_ledger.adapters.jsonl import import_jsonl
from sla_ledger.importers import import_csv
from sla_ledger.testing import memory_ledger
from tests.reliability.fuzz.world import build

FAR_WEST = timezone(-timedelta(hours=14))


@pytest.fixture
def ledger() -> SlaLedger:
    ledger, clock = memory_ledger(datetime(2026, 3, 20, tzinfo=UTC))
    build(ledger, clock)
    return ledger


@pytest.mark.parametrize(
    ("call", "shown"),
    [
        (lambda ledger: ledger.record_probes(None), "probes must be an iterable, got None"),
        (
            lambda ledger: ledger.statement_for(["c1"], "core", "2026-04"),
            "contract_id must be a str",
        ),
        (lambda ledger: ledger.declare_incident(3.5, datetime.now(UTC)), "services must be a list"),
        (lambda ledger: ledger.notice_termination(["c1"]), "contract_id must be a str, got ['c1']"),
        (
            lambda ledger: ledger.resolve_incident("not-a-uuid", datetime.now(UTC)),
            "incident_id must be",
        ),
        (lambda ledger: ledger.credits(after=1.5), "after must be an int, got 1.5"),
        (lambda ledger: ledger.credits(limit=0), "limit 0 must be at least 1"),
        (
            lambda ledger: ledger.verify(True),
            "saved must be a LogDigest or a str or None, got True",
        ),
        (lambda ledger: ledger.prove(), "give a position or an event"),
        (
            lambda ledger: ledger.cancel_maintenance(None),
            "announcement_id must be a UUID, got None",
        ),
    ],
)
def test_an_argument_of_the_wrong_type_is_refused_naming_it(ledger, call, shown) -> None:
    before = ledger.digest()
    with pytest.raises(InvalidArgument, match=r"^[a-z_]+\(\): ") as refused:
        call(ledger)
    assert shown in str(refused.value)
    assert ledger.digest() == before


def test_a_huge_value_is_shown_cut_short() -> None:
    ledger, _ = memory_ledger()
    with pytest.raises(InvalidArgument) as refused:
        ledger.declare_incident(["web"], "x" * 100_000)
    assert len(str(refused.value)) < 200


def test_credits_after_any_position_are_none(ledger) -> None:
    assert ledger.credits(after=2**63) == []


@pytest.mark.parametrize(
    "instant",
    [
        datetime.max.replace(tzinfo=FAR_WEST),
        datetime.min.replace(tzinfo=UTC),
        datetime(1969, 12, 31, tzinfo=UTC),
        datetime(9998, 6, 1, tzinfo=UTC),
    ],
)
def test_an_instant_beyond_the_years_evidence_may_name_is_refused(ledger, instant) -> None:
    before = ledger.digest()
    incident = ledger.catch_up().incidents
    open_id = next(i for i, x in incident.items() if x.end is None)
    with pytest.raises(InvalidEvidence, match="out of range"):
        ledger.resolve_incident(open_id, instant)
    with pytest.raises(InvalidEvidence, match="out of range"):
        ledger.declare_incident(["web"], instant)
    assert ledger.digest() == before


@pytest.mark.parametrize("line", [b"[" * 100_000, b'{"type": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_an_interchange_line_nested_too_deeply_is_refused_naming_the_line(line) -> None:
    ledger, _ = memory_ledger()
    with pytest.raises(ImportFailed, match=r"line 1: malformed JSON: .* nested too deeply"):
        import_jsonl(ledger, io.BytesIO(line + b"\n"))
    assert ledger.digest().size == 0


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_csv_timestamp_beyond_the_years_evidence_may_name_is_a_rejected_row(
    ledger, tmp_path, stamp
) -> None:
    path = tmp_path / "probes.csv"
    path.write_text(f"timestamp,target,location,ok\n{stamp},web,fra,1\n")
    report = import_csv(ledger, path)
    assert (report.read, report.recorded, report.rejected) == (1, 0, 1)
    assert "is out of range: expected an instant from 1970-01-01" in report.rejections[0].reason


def test_a_probe_naming_its_target_with_a_list_is_refused_naming_it(ledger) -> None:
    before = ledger.digest()
    with pytest.raises(InvalidEvidence, match=r"probe #0: target \['web'\]"):
        ledger.record_probes([(["web"], "fra", datetime(2026, 5, 1, tzinfo=UTC), True)])
    assert ledger.digest() == before


def test_services_may_come_as_any_collection_or_generator_not_only_a_list(ledger) -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    services = (s for s in ("web", "api"))
    incident = ledger.declare_incident(services, start, start + timedelta(1), "outage")
    ledger.announce_maintenance(
        {"web"}, start + timedelta(5), start + timedelta(5, 3600), "upgrade"
    )
    state = ledger.catch_up()
    assert state.incidents[incident].services == ("web", "api")
    assert [m.services for m in state.maintenance.values()][-1] == ("web",)
