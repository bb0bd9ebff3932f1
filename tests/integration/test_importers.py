"""Importers into real SQLite and PostgreSQL stores: idempotent, rejected rows reported,
strict imports all or nothing, terms applied once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sla_ledger import (
    Component,
    Contract,
    ContractLine,
    ImportFailed,
    Instance,
    InvalidTerms,
    ManualClock,
    Probe,
    RowsRejected,
    Service,
    UnknownReference,
    open_ledger,
)
from sla_ledger.domain.time import to_us
from sla_ledger.importers import CsvOptions, apply_terms, import_csv, import_prometheus
from tests.fixtures.prometheus import blackbox_day

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MAPPING = FIXTURES / "prometheus" / "mapping.toml"
EDGE_CASES = FIXTURES / "prometheus" / "edge_cases.json"
PROBES_CSV = FIXTURES / "csv" / "probes.csv"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
OCT5 = datetime(2026, 10, 5, tzinfo=UTC)


def shop() -> Service:
    db = Component(name="db", instances=(Instance(name="db-1", zone="eu-central-1a"),))
    return Service(
        service_id="shop",
        locations=("ams", "fra", "sin"),
        probe_interval=timedelta(seconds=15),
        components=(db,),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def ledger(url):
    opened = open_ledger(url, clock=ManualClock(NOW))
    opened.register_service(shop())
    yield opened
    opened.close()


@pytest.fixture
def sqlite_ledger(tmp_path):
    """For what does not depend on the store: SQLite only, to keep the tests quick."""
    opened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}", clock=ManualClock(NOW))
    opened.register_service(shop())
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prometheus") / "blackbox_day.json"
    blackbox_day.write(path)
    return path


def at(seconds: str) -> datetime:
    """An instant of the fixtures: 2026-10-05 plus exact seconds, e.g. "36000.781"."""
    return OCT5 + timedelta(microseconds=int(Decimal(seconds) * 1_000_000))


# -- Prometheus ---------------------------------------------------------------------------


def test_importing_a_day_twice_records_every_probe_once(ledger, day):
    first = import_prometheus(ledger, day, MAPPING)
    assert (first.read, first.recorded, first.duplicates, first.rejected) == (34_560, 34_560, 0, 0)
    assert first.batches == 4  # 10,000 rows a batch
    position = ledger.position

    second = import_prometheus(ledger, day, MAPPING)
    assert (second.read, second.recorded, second.duplicates, second.rejected) == (
        34_560,
        0,
        34_560,
        0,
    )
    assert second.batches == 0
    assert ledger.position == position, "the second import recorded nothing"

    evidence = ledger.catch_up().evidence
    outage = to_us(at("36000.781"))  # 10:00:00.781, the shop's first failed probe
    for location in ("ams", "fra", "sin"):
        assert evidence.contains("shop", location, outage, False)
        assert evidence.contains("shop", location, outage - 15_000_000, True)
    db_down = to_us(at("50400.781"))  # 14:00:00.781, from fra only
    assert evidence.contains("shop/db/db-1", "fra", db_down, False)
    assert evidence.contains("shop/db/db-1", "ams", db_down, True)


def test_rejected_samples_are_reported_and_the_others_recorded(ledger):
    report = import_prometheus(ledger, EDGE_CASES, MAPPING)
    assert (report.read, report.recorded, report.rejected) == (19, 7, 12)
    assert [(r.series[:9], r.sample, r.samples) for r in report.rejections] == [
        ("result[0]", None, 2),
        ("result[1]", 1, 1),
        ("result[1]", 3, 1),
        ("result[1]", 4, 1),
        ("result[2]", None, 2),
        ("result[3]", None, 3),
        ("result[5]", None, 2),
    ]
    tokyo = report.rejections[5].reason
    assert tokyo == "location 'tokyo' is not registered for 'shop'; its locations: ams, fra, sin"
    evidence = ledger.catch_up().evidence
    assert evidence.contains("shop/db/db-1", "sin", to_us(at("15.123456")), True)


def test_a_strict_import_with_a_rejected_sample_records_nothing(ledger):
    position = ledger.position
    with pytest.raises(RowsRejected) as refused:
        import_prometheus(ledger, EDGE_CASES, MAPPING, strict=True)
    assert str(refused.value).endswith("--strict: nothing was recorded")
    assert "12 of 19 probe results rejected" in str(refused.value)
    assert (refused.value.report.rejected, refused.value.report.recorded) == (12, 0)
    assert ledger.position == position


def test_a_strict_import_of_a_clean_file_records_it(sqlite_ledger, day):
    ledger = sqlite_ledger
    report = import_prometheus(ledger, day, MAPPING, strict=True)
    assert (report.recorded, report.rejected, report.strict) == (34_560, 0, True)


def test_samples_from_the_ledger_clocks_future_are_rejected(tmp_path, day):
    early = open_ledger(f"sqlite:///{tmp_path / 'early.db'}", clock=ManualClock(at("43200")))
    early.register_service(shop())
    report = import_prometheus(early, day, MAPPING)
    # up to 12:05:00 (five minutes of clock skew): 00:00:00.781 to 12:04:45.781 of each series
    assert (report.recorded, report.rejected) == (6 * 2_900, 6 * (5_760 - 2_900))
    assert report.rejections[0].reason == (
        "2026-10-05T12:05:00.781000Z is after the ledger clock's 2026-10-05T12:00:00Z "
        "(allowing 300 s of clock skew): a probe is recorded after it happens"
    )
    early.close()


def test_a_mapping_naming_an_unknown_service_is_an_error_before_anything_is_read(
    sqlite_ledger, tmp_path
):
    ledger = sqlite_ledger
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text().replace('service = "shop"\n\n', 'service = "shp"\n\n'))
    with pytest.raises(UnknownReference, match=r"target\[0\]\.service: unknown service 'shp'"):
        import_prometheus(ledger, EDGE_CASES, mapping)
    assert ledger.position == 1  # the service only


def test_a_truncated_file_stops_the_import_saying_what_was_recorded(sqlite_ledger, tmp_path):
    ledger, whole, truncated = sqlite_ledger, tmp_path / "whole.json", tmp_path / "cut.json"
    blackbox_day.write(whole, 1000)  # 6,000 samples
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ImportFailed) as error:
        import_prometheus(ledger, truncated, MAPPING, batch_size=1000)
    message = str(error.value)
    assert "is not valid JSON" in message
    assert "the import stopped there, 2000 probes were recorded before it" in message
    with pytest.raises(ImportFailed, match="is not valid JSON") as strict:
        import_prometheus(ledger, truncated, MAPPING, strict=True)
    assert "recorded before it" not in str(strict.value)
    assert import_prometheus(ledger, whole, MAPPING).recorded == 6_000 - 2_000


# -- CSV ------------------------------------------------------------------------------------


def test_csv_rows_the_ledger_refuses_are_rejected_by_line_and_the_rest_recorded(ledger):
    report = import_csv(ledger, PROBES_CSV)
    assert (report.read, report.recorded, report.rejected) == (13, 5, 8)
    reasons = {r.line: r.reason for r in report.rejections}
    assert sorted(reasons) == [6, 7, 8, 9, 11, 12, 13, 14]
    assert reasons[7].startswith("unknown target 'shopp': expected a registered service id")
    assert (
        reasons[8] == "location 'tokyo' is not registered for 'shop'; its locations: ams, fra, sin"
    )
    assert reasons[14].startswith("2099-01-01T00:00:00Z is after the ledger clock's")
    again = import_csv(ledger, PROBES_CSV)
    assert (again.recorded, again.duplicates, again.rejected) == (0, 5, 8)


def test_a_strict_csv_import_with_a_bad_row_records_nothing(sqlite_ledger):
    ledger = sqlite_ledger
    position = ledger.position
    with pytest.raises(RowsRejected, match=r"line 6: timestamp .* has no UTC offset"):
        import_csv(ledger, PROBES_CSV, strict=True)
    assert ledger.position == position


def csv_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "probes.csv"
    path.write_text("timestamp,target,location,ok,latency\n" + "".join(f"{x}\n" for x in lines))
    return path


def test_a_row_contradicting_a_recorded_probe_is_rejected_alone(ledger, tmp_path):
    ledger.record_probes([Probe("shop", "fra", OCT5, True, 10_000)])
    path = csv_file(
        tmp_path,
        "2026-10-05T00:00:00Z,shop,ams,1,5",
        "2026-10-05T00:00:00Z,shop,fra,1,20",  # recorded with 10 ms
        "2026-10-05T00:00:15Z,shop,fra,1,7",
        "2026-10-05T00:00:15Z,shop,fra,1,8",  # contradicts the row before
    )
    position = ledger.position
    with pytest.raises(RowsRejected) as refused:
        import_csv(ledger, path, strict=True)
    assert [r.line for r in refused.value.report.rejections] == [5, 3]
    assert "but line 4 gave it latency 7000 us" in refused.value.report.rejections[0].reason
    assert "but it was recorded with latency 10000 us" in refused.value.report.rejections[1].reason
    assert ledger.position == position

    report = import_csv(ledger, path)
    assert (report.recorded, report.rejected) == (2, 2)
    assert sorted(r.line for r in report.rejections) == [3, 5]
    assert all("record a correction instead" in r.reason for r in report.rejections)


def test_csv_options_choose_columns_units_and_strings(sqlite_ledger):
    ledger = sqlite_ledger
    options = CsvOptions(
        timestamp_column="time",
        target_column="check",
        location_column="region",
        ok_column="status",
        latency_column="duration",
        timestamp_format="unix",
        ok_values=("pass",),
        not_ok_values=("fail",),
        delimiter="\t",
        latency_unit="s",
    )
    report = import_csv(ledger, FIXTURES / "csv" / "checks.tsv", options)
    assert (report.recorded, report.rejected) == (3, 0)
    assert ledger.catch_up().evidence.contains("shop", "ams", to_us(at("0.5")), False)


# -- terms ------------------------------------------------------------------------------


TERMS = """
[[service]]
service_id = "api"
locations = ["fra", "ams", "sin"]
probe_interval = "60s"

[[contract]]
contract_id = "acme"
customer = "ACME GmbH"
region = "eu"
starts_at = 2026-10-01T00:00:00Z

[[contract.lines]]
line_id = "api"
service = "api"
monthly_fee = "1000.00"
currency = "EUR"
"""


def test_applying_a_terms_file_twice_records_it_once(ledger, tmp_path):
    path = tmp_path / "terms.toml"
    path.write_text(TERMS)
    first = apply_terms(ledger, path)
    assert [(c.table, c.name, c.action) for c in first] == [
        ("service[0]", "api", "registered"),
        ("contract[0]", "acme", "signed"),
    ]
    position = ledger.position
    second = apply_terms(ledger, path)
    assert [c.action for c in second] == ["unchanged", "unchanged"]
    assert ledger.position == position
    (contract,) = ledger.contracts()
    assert contract.lines == (
        ContractLine(line_id="api", service="api", monthly_fee=Decimal("1000.00"), currency="EUR"),
    )


def test_a_changed_contract_is_amended_from_the_next_month(sqlite_ledger, tmp_path):
    ledger = sqlite_ledger
    path = tmp_path / "terms.toml"
    path.write_text(TERMS)
    apply_terms(ledger, path)
    path.write_text(TERMS.replace('"1000.00"', '"1200.00"'))
    changes = apply_terms(ledger, path)
    assert [(c.name, c.action, c.effective_month) for c in changes] == [
        ("api", "unchanged", None),
        ("acme", "amended", "2026-12"),  # the clock says 1 November: R13
    ]
    assert ledger.contracts()[0].lines[0].monthly_fee == Decimal("1200.00")
    assert [c.action for c in apply_terms(ledger, path)] == ["unchanged", "unchanged"]


def test_a_terms_file_with_one_bad_table_records_nothing(sqlite_ledger, tmp_path):
    ledger = sqlite_ledger
    path = tmp_path / "terms.toml"
    position = ledger.position
    path.write_text(TERMS.replace('service = "api"', 'service = "apii"'))
    with pytest.raises(UnknownReference, match=r"contract\[0\]\.lines\[0\]\.service: unknown"):
        apply_terms(ledger, path)
    assert ledger.position == position, "the file's new service was not registered either"

    changed_shop = 'service_id = "shop"\nlocations = ["fra"]\nprobe_interval = 15\n'
    path.write_text(TERMS + "\n[[service]]\n" + changed_shop)
    with pytest.raises(InvalidTerms) as error:
        apply_terms(ledger, path)
    assert "service[1]: service 'shop' is registered with other terms (" in str(error.value)
    assert "locations: ['ams', 'fra', 'sin'] -> ['fra']" in str(error.value)
    assert ledger.position == position


def test_an_amendment_cannot_move_the_start_but_another_offset_is_the_same_instant(
    sqlite_ledger, tmp_path
):
    ledger = sqlite_ledger
    path = tmp_path / "terms.toml"
    path.write_text(TERMS)
    apply_terms(ledger, path)
    position = ledger.position
    path.write_text(TERMS.replace("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"))
    with pytest.raises(InvalidTerms, match=r"contract\[0\]\.starts_at: .* cannot change it"):
        apply_terms(ledger, path)
    path.write_text(TERMS.replace("2026-10-01T00:00:00Z", "2026-10-01T02:00:00+02:00"))
    assert [c.action for c in apply_terms(ledger, path)] == ["unchanged", "unchanged"]
    assert ledger.position == position


def test_the_terms_of_a_contract_signed_in_python_read_back_equal(sqlite_ledger, tmp_path):
    ledger = sqlite_ledger
    line = ContractLine(line_id="core", service="shop", monthly_fee=Decimal("10"), currency="EUR")
    ledger.sign_contract(
        Contract(
            contract_id="c1",
            customer="Initech",
            region="eu",
            starts_at=datetime(2026, 10, 1, tzinfo=UTC),
            lines=(line,),
        )
    )
    path = tmp_path / "terms.toml"
    path.write_text(
        "[[contract]]\n"
        'contract_id = "c1"\ncustomer = "Initech"\nregion = "eu"\n'
        "starts_at = 2026-10-01T00:00:00Z\n"
        '[[contract.lines]]\nline_id = "core"\nservice = "shop"\nmonthly_fee = 10\n'
        'currency = "EUR"\n'
    )
    assert [c.action for c in apply_terms(ledger, path)] == ["unchanged"]


def test_imports_report_their_progress_in_bytes_up_to_the_file_size(sqlite_ledger, day):
    calls: list[tuple[int, int]] = []
    import_prometheus(sqlite_ledger, day, MAPPING, on_progress=lambda *c: calls.append(c))
    size = day.stat().st_size
    assert len(calls) > 2
    assert calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    calls.clear()
    import_csv(sqlite_ledger, PROBES_CSV, on_progress=lambda *c: calls.append(c))
    assert calls[-1] == (PROBES_CSV.stat().st_size,) * 2
