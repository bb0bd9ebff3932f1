"""Reading a Prometheus query_range response: exact instants, outcomes, labels to targets."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from sla_ledger import ImportFailed, InvalidConfig, Service, UnknownReference
from sla_ledger.domain.terms import Component, Instance
from sla_ledger.importers import PrometheusMapping, Rejected, Row, read_query_range
from sla_ledger.importers.prometheus import instant_us, outcome_reason

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prometheus"
MAPPING = PrometheusMapping.load(FIXTURES / "mapping.toml")


def shop() -> Service:
    db = Component(name="db", instances=(Instance(name="db-1", zone="eu-central-1a"),))
    return Service(
        service_id="shop", locations=("ams", "fra", "sin"), probe_interval=15, components=(db,)
    )


def registered(target: str, location: str) -> str | None:
    return None if location in shop().locations else f"location {location!r} is not registered"


def response(*series: dict, **envelope) -> str:
    body = {"status": "success", "data": {"resultType": "matrix", "result": list(series)}}
    return json.dumps({**body, **envelope})


def read(tmp_path: Path, text: str, mapping: PrometheusMapping = MAPPING) -> list:
    path = tmp_path / "response.json"
    path.write_text(text)
    return list(read_query_range(path, mapping, registered))


def shop_series(*values, location: str = "fra") -> dict:
    metric = {
        "__name__": "probe_success",
        "instance": "https://shop.example.com/healthz",
        "job": "blackbox",
        "location": location,
    }
    return {"metric": metric, "values": [list(v) for v in values]}


# -- instants ----------------------------------------------------------------------------


def test_a_fractional_timestamp_becomes_exact_microseconds():
    assert instant_us(Decimal("1759276800.123")) == 1_759_276_800_123_000
    assert instant_us(Decimal("1759276800.123456")) == 1_759_276_800_123_456
    assert instant_us(Decimal("1759276800.1234560000")) == 1_759_276_800_123_456
    assert instant_us(1759276800) == 1_759_276_800_000_000


def test_a_timestamp_finer_than_a_microsecond_is_rejected_not_rounded():
    reason = instant_us(Decimal("1759276800.1234567"))
    assert isinstance(reason, str)
    assert "1759276800.1234567 is not a whole number of microseconds" in reason
    # Beyond the 28 digits of Decimal's default context, still exact:
    assert isinstance(instant_us(Decimal("1759276800.123456000000000000000000000001")), str)


@pytest.mark.parametrize("value", [True, "1759276800", None, Decimal("NaN"), Decimal("1e300")])
def test_a_timestamp_that_is_not_a_number_of_seconds_is_rejected(value):
    assert isinstance(instant_us(value), str)


def test_timestamps_before_1970_or_after_9999_are_rejected():
    assert "between 1970 and 9999" in str(instant_us(-1))
    assert "between 1970 and 9999" in str(instant_us(253_402_300_800))


def test_the_samples_of_the_json_keep_their_exact_decimal_instants(tmp_path):
    rows = read(tmp_path, response(shop_series((1759276800.123, "1"), (1759276815, "0"))))
    assert [(r.at_us, r.ok) for r in rows] == [
        (1_759_276_800_123_000, True),
        (1_759_276_815_000_000, False),
    ]


# -- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("NaN", 'value "NaN" is no probe result'),
        ("+Inf", 'value "+Inf" is no probe result'),
        ("0.5", 'value "0.5" is neither "1" (up) nor "0" (down)'),
        ("1.0", 'value "1.0" is neither'),
        (1, "value 1 is not a string"),
    ],
)
def test_values_other_than_one_and_zero_are_rejected_with_the_reason(tmp_path, value, fragment):
    rows = read(tmp_path, response(shop_series((1759276800, "1"), (1759276815, value))))
    assert isinstance(rows[0], Row)
    rejected = rows[1]
    assert isinstance(rejected, Rejected)
    assert fragment in rejected.reason
    assert rejected.where == (
        'result[0] {__name__="probe_success", instance="https://shop.example.com/healthz", '
        'job="blackbox", location="fra"} values[1]'
    )
    assert fragment in outcome_reason(value)


@pytest.mark.parametrize("sample", [[1759276800], [1759276800, "1", "x"], 5, {"t": 1}])
def test_a_sample_that_is_not_a_pair_is_rejected_alone(tmp_path, sample):
    series = shop_series((1759276800, "1"))
    series["values"].insert(0, sample)
    rows = read(tmp_path, response(series))
    assert isinstance(rows[0], Rejected)
    assert rows[0].sample == 0
    assert "[timestamp, value] pair" in rows[0].reason
    assert isinstance(rows[1], Row) and rows[1].sample == 1


# -- series and the mapping ---------------------------------------------------------------


def test_the_edge_case_fixture_is_read_sample_by_sample_with_reasons(tmp_path):
    items = list(read_query_range(FIXTURES / "edge_cases.json", MAPPING, registered))
    rows = [i for i in items if isinstance(i, Row)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [(r.target, r.location, r.at_us, r.ok, r.series[:9], r.sample) for r in rows] == [
        ("shop", "fra", 1_791_158_400_781_000, True, "result[1]", 0),
        ("shop", "fra", 1_791_158_430_781_000, False, "result[1]", 2),
        ("shop", "fra", 1_791_158_475_781_000, True, "result[1]", 5),
        ("shop", "ams", 1_791_158_400_781_000, True, "result[4]", 0),
        ("shop", "ams", 1_791_158_415_781_000, False, "result[4]", 1),
        ("shop/db/db-1", "sin", 1_791_158_400_123_000, True, "result[6]", 0),
        ("shop/db/db-1", "sin", 1_791_158_415_123_456, True, "result[6]", 1),
    ]
    expected = [
        ("result[0]", None, 2, None, "metric 'probe_duration_seconds' is not a probe result"),
        ("result[1]", 1, 1, "NaN", 'value "NaN" is no probe result: expected "1" (up)'),
        ("result[1]", 3, 1, "1791158445.7810001", "timestamp 1791158445.7810001 is not a whole"),
        ("result[1]", 4, 1, "0.5", 'value "0.5" is neither "1" (up) nor "0" (down)'),
        ("result[2]", None, 2, None, "no [[target]] of the mapping matches its labels"),
        ("result[3]", None, 3, None, "location 'tokyo' is not registered"),
        ("result[5]", None, 2, None, "metric 'up' is not a probe result here"),
    ]
    assert len(rejected) == len(expected)
    for r, (series, sample, samples, value, reason) in zip(rejected, expected, strict=True):
        assert (r.series[:9], r.sample, r.samples, r.value) == (series, sample, samples, value)
        assert r.reason.startswith(reason), r.reason
    assert rejected[4].where.startswith('result[2] {__name__="probe_success", instance="https')
    assert rejected[4].where.endswith("(2 samples)")


def test_location_labels_are_renamed_by_the_mapping(tmp_path):
    mapping = MAPPING.model_copy(update={"locations": {"eu-central-1": "fra"}})
    rows = read(
        tmp_path, response(shop_series((1759276800, "1"), location="eu-central-1")), mapping
    )
    assert [(r.target, r.location) for r in rows] == [("shop", "fra")]


def test_a_series_matching_two_rules_is_rejected_naming_both(tmp_path):
    mapping = PrometheusMapping.model_validate(
        {
            "target": [
                {"match": {"job": "blackbox"}, "service": "shop"},
                {"match": {"instance": "https://shop.example.com/healthz"}, "service": "shop"},
            ]
        }
    )
    rows = read(tmp_path, response(shop_series((1759276800, "1"))), mapping)
    assert [r.reason for r in rows] == [
        "its labels match target[0] and target[1] of the mapping: make their match tables exclusive"
    ]


def test_a_series_without_the_location_label_is_rejected(tmp_path):
    series = shop_series((1759276800, "1"))
    del series["metric"]["location"]
    (rejected,) = read(tmp_path, response(series))
    assert "it has no 'location' label (the mapping's location_label)" in rejected.reason


def test_a_series_whose_labels_are_not_strings_is_rejected(tmp_path):
    series = shop_series((1759276800, "1"))
    series["metric"]["job"] = 7
    (rejected,) = read(tmp_path, response(series))
    assert rejected.reason == "label 'job' is not a string"


def test_native_histogram_samples_are_counted_as_rejected(tmp_path):
    series = shop_series((1759276800, "1"))
    series["histograms"] = [[1759276815, {"count": "3", "sum": "1", "buckets": []}]]
    rows = read(tmp_path, response(series))
    assert isinstance(rows[0], Row)
    assert (rows[1].samples, rows[1].reason) == (
        1,
        "native histogram samples are not probe results",
    )


# -- the envelope ----------------------------------------------------------------------------


def test_an_instant_vector_is_refused_naming_query_range(tmp_path):
    text = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}})
    with pytest.raises(ImportFailed, match=r"resultType is 'vector': expected 'matrix'"):
        read(tmp_path, text)


def test_an_error_response_is_refused_with_prometheus_message(tmp_path):
    text = json.dumps(
        {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "start"'}
    )
    with pytest.raises(ImportFailed, match=r"status is 'error'.*bad_data: invalid parameter"):
        read(tmp_path, text)


@pytest.mark.parametrize("text", ['{"status": "success", "data": {"resultType": "matrix"', "[1,"])
def test_truncated_json_is_refused(tmp_path, text):
    with pytest.raises(ImportFailed, match="is not valid JSON"):
        read(tmp_path, text)


def test_json_of_another_shape_is_refused(tmp_path):
    with pytest.raises(ImportFailed, match=r"has no data\.result matrix"):
        read(tmp_path, '{"status": "success", "data": {}}')


# -- the mapping file ---------------------------------------------------------------------


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "mapping.toml: target: missing"),
        ("[[target]]\nservice = 'shop'\n", "target[0].match: missing"),
        (
            "[[target]]\nmatch = {instance = 3}\nservice = 'shop'\n",
            "target[0].match.instance: Input should be a valid string (got 3)",
        ),
        (
            "[[target]]\nmatch = {a = 'b'}\nservice = 'shop'\ncomponent = 'db'\n",
            "target[0]: give both 'component' and 'instance'",
        ),
        (
            "location_lable = 'site'\n[[target]]\nmatch = {a = 'b'}\nservice = 'shop'\n",
            "location_lable: Extra inputs are not permitted (got 'site')",
        ),
        (
            "[[target]]\nmatch = {a = 'b'}\nservice = 's'\n[[target]]\nmatch = {a = 'b'}\n"
            "service = 't'\n",
            "target[1].match {'a': 'b'} repeats target[0].match",
        ),
        ("[[target]\n", "is not valid TOML"),
    ],
)
def test_a_bad_mapping_file_is_an_error_naming_the_key_and_value(tmp_path, text, message):
    with pytest.raises(InvalidConfig) as error:
        PrometheusMapping.load(write_mapping(tmp_path, text))
    assert str(error.value).startswith(str(tmp_path / "mapping.toml"))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "service = 'shopp'",
            "target[0].service: unknown service 'shopp'; registered: shop",
        ),
        (
            "service = 'shop'\ncomponent = 'db'\ninstance = 'db-9'",
            "target[0]: 'shop/db/db-9' is not a probed target of service 'shop'",
        ),
    ],
)
def test_a_mapping_naming_what_the_ledger_does_not_know_is_an_error(tmp_path, rule, message):
    mapping = PrometheusMapping.load(
        write_mapping(tmp_path, f"[[target]]\nmatch = {{a = 'b'}}\n{rule}\n")
    )
    with pytest.raises(UnknownReference, match=re.escape(message)):
        mapping.check([shop()], "mapping.toml")


def test_a_location_renamed_to_an_unregistered_one_is_an_error():
    mapping = MAPPING.model_copy(update={"locations": {"eu-central-1": "frankfurt"}})
    with pytest.raises(UnknownReference, match=r"locations\.eu-central-1: location 'frankfurt'"):
        mapping.check([shop()], "mapping.toml")


def test_the_example_mapping_loads():
    root = Path(__file__).resolve().parents[2]
    mapping = PrometheusMapping.load(root / "examples" / "prometheus" / "mapping.toml")
    assert [rule.target for rule in mapping.target] == ["shop", "api"]
    assert mapping.metrics == ("probe_success",)
